#include "textflag.h"

// The kernels of Exp64, Sigmoid64 and Sigmoid32 with AVX2 and FMA. Each step rounds as the
// corresponding step of math/exp_amd64.s (its FMA path) and of Exp in vmath.go.

// C4 defines a 32-byte constant: the float64 or int64 v in each of 4 lanes.
#define C4(name, v) \
	DATA name<>+0(SB)/8, v; \
	DATA name<>+8(SB)/8, v; \
	DATA name<>+16(SB)/8, v; \
	DATA name<>+24(SB)/8, v; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

C4(log2e, $1.4426950408889634073599246810018920)
C4(ln2u, $0.69314718055966295651160180568695068359375)
C4(ln2l, $0.28235290563031577122588448175013436025525412068e-12)
C4(sixteenth, $0.0625)
C4(t8, $2.4801587301587301587e-5)
C4(t7, $1.9841269841269841270e-4)
C4(t6, $1.3888888888888888889e-3)
C4(t5, $8.3333333333333333333e-3)
C4(t4, $4.1666666666666666667e-2)
C4(t3, $1.6666666666666666667e-1)
C4(half, $0.5)
C4(one, $1.0)
C4(two, $2.0)
C4(sign, $0x8000000000000000)
C4(bias, $1023)

// kmax and kmin: the int32 range [-1022, 1023] of k for which 2^k is a normal float64 and
// the result needs no rare path.
DATA kmax<>+0(SB)/4, $1023
DATA kmax<>+4(SB)/4, $1023
DATA kmax<>+8(SB)/4, $1023
DATA kmax<>+12(SB)/4, $1023
GLOBL kmax<>(SB), RODATA|NOPTR, $16
DATA kmin<>+0(SB)/4, $-1022
DATA kmin<>+4(SB)/4, $-1022
DATA kmin<>+8(SB)/4, $-1022
DATA kmin<>+12(SB)/4, $-1022
GLOBL kmin<>(SB), RODATA|NOPTR, $16

// mask64: 8 qwords -1 then 8 qwords 0; the 4 qwords at index 8-r select the first r lanes.
DATA mask64<>+0(SB)/8, $-1
DATA mask64<>+8(SB)/8, $-1
DATA mask64<>+16(SB)/8, $-1
DATA mask64<>+24(SB)/8, $-1
DATA mask64<>+32(SB)/8, $-1
DATA mask64<>+40(SB)/8, $-1
DATA mask64<>+48(SB)/8, $-1
DATA mask64<>+56(SB)/8, $-1
DATA mask64<>+64(SB)/8, $0
DATA mask64<>+72(SB)/8, $0
DATA mask64<>+80(SB)/8, $0
DATA mask64<>+88(SB)/8, $0
DATA mask64<>+96(SB)/8, $0
DATA mask64<>+104(SB)/8, $0
DATA mask64<>+112(SB)/8, $0
DATA mask64<>+120(SB)/8, $0
GLOBL mask64<>(SB), RODATA|NOPTR, $128

// mask32: 8 dwords -1 then 8 dwords 0; the 4 dwords at index 8-r select the first r lanes.
DATA mask32<>+0(SB)/8, $-1
DATA mask32<>+8(SB)/8, $-1
DATA mask32<>+16(SB)/8, $-1
DATA mask32<>+24(SB)/8, $-1
DATA mask32<>+32(SB)/8, $0
DATA mask32<>+40(SB)/8, $0
DATA mask32<>+48(SB)/8, $0
DATA mask32<>+56(SB)/8, $0
GLOBL mask32<>(SB), RODATA|NOPTR, $64

// EXPK sets kx (int32 x4) = round(x·log2 e) for the 4 float64s in x; p is scratch.
#define EXPK(x, p, kx) \
	VMULPD log2e<>(SB), x, p; \
	VCVTPD2DQY p, kx

// KBAD sets tx to all ones in each lane whose k (kx) is outside [-1022, 1023]; ux is scratch,
// X14 holds kmin.
#define KBAD(kx, tx, ux) \
	VPCMPGTD kmax<>(SB), kx, tx; \
	VPCMPGTD kx, X14, ux; \
	VPOR tx, ux, tx

// EXPREST sets x = e^x given kx from EXPK; p and ky (the Y register of kx) are scratch.
#define EXPREST(x, p, kx, ky) \
	VCVTDQ2PD kx, p; \
	VFNMADD231PD ln2u<>(SB), p, x; \
	VFNMADD231PD ln2l<>(SB), p, x; \
	VMULPD sixteenth<>(SB), x, x; \
	VMOVUPD t8<>(SB), p; \
	VFMADD213PD t7<>(SB), x, p; \
	VFMADD213PD t6<>(SB), x, p; \
	VFMADD213PD t5<>(SB), x, p; \
	VFMADD213PD t4<>(SB), x, p; \
	VFMADD213PD t3<>(SB), x, p; \
	VFMADD213PD half<>(SB), x, p; \
	VFMADD213PD one<>(SB), x, p; \
	VMULPD p, x, x; \
	VADDPD two<>(SB), x, p; \
	VMULPD p, x, x; \
	VADDPD two<>(SB), x, p; \
	VMULPD p, x, x; \
	VADDPD two<>(SB), x, p; \
	VMULPD p, x, x; \
	VADDPD two<>(SB), x, p; \
	VFMADD213PD one<>(SB), p, x; \
	VPMOVSXDQ kx, ky; \
	VPADDQ bias<>(SB), ky, ky; \
	VPSLLQ $52, ky, ky; \
	VMULPD ky, x, x

// EXP8 sets Y0 and Y5 to e^Y0 and e^Y5, or jumps to done if a lane needs a rare path.
#define EXP8 \
	EXPK(Y0, Y1, X2); \
	EXPK(Y5, Y6, X7); \
	KBAD(X2, X3, X4); \
	KBAD(X7, X8, X9); \
	VPOR X3, X8, X3; \
	VPTEST X3, X3; \
	JNZ done; \
	EXPREST(Y0, Y1, X2, Y2); \
	EXPREST(Y5, Y6, X7, Y7)

// SIGMOID8 sets Y0 and Y5 to 1/(1+e^-Y0) and 1/(1+e^-Y5), or jumps to done.
#define SIGMOID8 \
	VXORPD sign<>(SB), Y0, Y0; \
	VXORPD sign<>(SB), Y5, Y5; \
	EXP8; \
	VADDPD Y15, Y0, Y0; \
	VADDPD Y15, Y5, Y5; \
	VDIVPD Y0, Y15, Y0; \
	VDIVPD Y5, Y15, Y5

// MASKS64 loads into Y10 and Y11 the masks of the first r = CX-AX (1..7) of 8 float64 lanes.
#define MASKS64 \
	MOVQ CX, DX; \
	SUBQ AX, DX; \
	NEGQ DX; \
	LEAQ mask64<>+64(SB), R8; \
	VMOVDQU (R8)(DX*8), Y10; \
	VMOVDQU 32(R8)(DX*8), Y11

// func exp64AVX2(dst, x []float64) int
TEXT ·exp64AVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VMOVDQU kmin<>(SB), X14
	XORQ AX, AX

e64loop:
	LEAQ 8(AX), DX
	CMPQ DX, CX
	JGT e64tail
	VMOVUPD (SI)(AX*8), Y0
	VMOVUPD 32(SI)(AX*8), Y5
	EXP8
	VMOVUPD Y0, (DI)(AX*8)
	VMOVUPD Y5, 32(DI)(AX*8)
	MOVQ DX, AX
	JMP e64loop

e64tail:
	CMPQ AX, CX
	JGE done
	MASKS64
	VMASKMOVPD (SI)(AX*8), Y10, Y0
	VMASKMOVPD 32(SI)(AX*8), Y11, Y5
	EXP8
	VMASKMOVPD Y0, Y10, (DI)(AX*8)
	VMASKMOVPD Y5, Y11, 32(DI)(AX*8)
	MOVQ CX, AX

done:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// func sigmoid64AVX2(dst, x []float64) int
TEXT ·sigmoid64AVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VMOVDQU kmin<>(SB), X14
	VMOVUPD one<>(SB), Y15
	XORQ AX, AX

s64loop:
	LEAQ 8(AX), DX
	CMPQ DX, CX
	JGT s64tail
	VMOVUPD (SI)(AX*8), Y0
	VMOVUPD 32(SI)(AX*8), Y5
	SIGMOID8
	VMOVUPD Y0, (DI)(AX*8)
	VMOVUPD Y5, 32(DI)(AX*8)
	MOVQ DX, AX
	JMP s64loop

s64tail:
	CMPQ AX, CX
	JGE done
	MASKS64
	VMASKMOVPD (SI)(AX*8), Y10, Y0
	VMASKMOVPD 32(SI)(AX*8), Y11, Y5
	SIGMOID8
	VMASKMOVPD Y0, Y10, (DI)(AX*8)
	VMASKMOVPD Y5, Y11, 32(DI)(AX*8)
	MOVQ CX, AX

done:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// func sigmoid32AVX2(dst, x []float32) int
TEXT ·sigmoid32AVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VMOVDQU kmin<>(SB), X14
	VMOVUPD one<>(SB), Y15
	XORQ AX, AX

s32loop:
	LEAQ 8(AX), DX
	CMPQ DX, CX
	JGT s32tail
	VCVTPS2PD (SI)(AX*4), Y0
	VCVTPS2PD 16(SI)(AX*4), Y5
	SIGMOID8
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y5, X5
	VMOVUPS X0, (DI)(AX*4)
	VMOVUPS X5, 16(DI)(AX*4)
	MOVQ DX, AX
	JMP s32loop

s32tail:
	CMPQ AX, CX
	JGE done
	MOVQ CX, DX
	SUBQ AX, DX
	NEGQ DX
	LEAQ mask32<>+32(SB), R8
	VMOVDQU (R8)(DX*4), X10
	VMOVDQU 16(R8)(DX*4), X11
	VMASKMOVPS (SI)(AX*4), X10, X0
	VMASKMOVPS 16(SI)(AX*4), X11, X5
	VCVTPS2PD X0, Y0
	VCVTPS2PD X5, Y5
	SIGMOID8
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y5, X5
	VMASKMOVPS X0, X10, (DI)(AX*4)
	VMASKMOVPS X5, X11, 16(DI)(AX*4)
	MOVQ CX, AX

done:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// The AVX-512 kernels: 8 float64 lanes per register, the same steps as above, with a float check
// of the range of k (t = x·log2 e in [-1022.5, 1023.5) ⇔ round-to-even(t) in [-1022, 1023]),
// k kept as a float64 (VRNDSCALEPD, round to nearest even) and 2^k applied with VSCALEFPD (exact
// for normal results, so the same as the multiplication by 2^k).

C4(tlo, $-1022.5)
C4(thi, $1023.5)

// mask8: byte r is the opmask of the first r of 8 lanes.
DATA mask8<>+0(SB)/8, $0x7f3f1f0f07030100
GLOBL mask8<>(SB), RODATA|NOPTR, $8

// EXP512 sets x = e^x for the 8 float64s in x and K1 to the lanes that need no rare path;
// k and p are scratch.
#define EXP512(x, k, p) \
	VMULPD.BCST log2e<>(SB), x, k; \
	VCMPPD.BCST $0x1D, tlo<>(SB), k, K1; \
	VCMPPD.BCST $0x11, thi<>(SB), k, K1, K1; \
	VRNDSCALEPD $0, k, k; \
	VFNMADD231PD.BCST ln2u<>(SB), k, x; \
	VFNMADD231PD.BCST ln2l<>(SB), k, x; \
	VMULPD.BCST sixteenth<>(SB), x, x; \
	VBROADCASTSD t8<>(SB), p; \
	VFMADD213PD.BCST t7<>(SB), x, p; \
	VFMADD213PD.BCST t6<>(SB), x, p; \
	VFMADD213PD.BCST t5<>(SB), x, p; \
	VFMADD213PD.BCST t4<>(SB), x, p; \
	VFMADD213PD.BCST t3<>(SB), x, p; \
	VFMADD213PD.BCST half<>(SB), x, p; \
	VFMADD213PD.BCST one<>(SB), x, p; \
	VMULPD p, x, x; \
	VADDPD.BCST two<>(SB), x, p; \
	VMULPD p, x, x; \
	VADDPD.BCST two<>(SB), x, p; \
	VMULPD p, x, x; \
	VADDPD.BCST two<>(SB), x, p; \
	VMULPD p, x, x; \
	VADDPD.BCST two<>(SB), x, p; \
	VFMADD213PD.BCST one<>(SB), p, x; \
	VSCALEFPD k, x, x

// CHECK512 jumps to done unless all 8 lanes of K1 are set.
#define CHECK512 \
	KMOVW K1, DX; \
	CMPL DX, $0xff; \
	JNE done

// SIGMOID512 sets x = 1/(1+e^-x), or jumps to done; Z15 holds 1.
#define SIGMOID512(x, k, p) \
	VPXORQ.BCST sign<>(SB), x, x; \
	EXP512(x, k, p); \
	CHECK512; \
	VADDPD Z15, x, x; \
	VDIVPD x, Z15, x

// TAILMASK sets K3 to the first CX-AX (1..7) lanes.
#define TAILMASK \
	MOVQ CX, DX; \
	SUBQ AX, DX; \
	LEAQ mask8<>(SB), R8; \
	MOVBLZX (R8)(DX*1), DX; \
	KMOVW DX, K3

// func exp64AVX512(dst, x []float64) int
TEXT ·exp64AVX512(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	XORQ AX, AX

e512loop:
	LEAQ 8(AX), BX
	CMPQ BX, CX
	JGT e512tail
	VMOVUPD (SI)(AX*8), Z0
	EXP512(Z0, Z1, Z2)
	CHECK512
	VMOVUPD Z0, (DI)(AX*8)
	MOVQ BX, AX
	JMP e512loop

e512tail:
	CMPQ AX, CX
	JGE done
	TAILMASK
	VMOVUPD.Z (SI)(AX*8), K3, Z0
	EXP512(Z0, Z1, Z2)
	CHECK512
	VMOVUPD Z0, K3, (DI)(AX*8)
	MOVQ CX, AX

done:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// func sigmoid64AVX512(dst, x []float64) int
TEXT ·sigmoid64AVX512(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSD one<>(SB), Z15
	XORQ AX, AX

s512loop:
	LEAQ 8(AX), BX
	CMPQ BX, CX
	JGT s512tail
	VMOVUPD (SI)(AX*8), Z0
	SIGMOID512(Z0, Z1, Z2)
	VMOVUPD Z0, (DI)(AX*8)
	MOVQ BX, AX
	JMP s512loop

s512tail:
	CMPQ AX, CX
	JGE done
	TAILMASK
	VMOVUPD.Z (SI)(AX*8), K3, Z0
	SIGMOID512(Z0, Z1, Z2)
	VMOVUPD Z0, K3, (DI)(AX*8)
	MOVQ CX, AX

done:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// func sigmoid32AVX512(dst, x []float32) int
TEXT ·sigmoid32AVX512(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSD one<>(SB), Z15
	XORQ AX, AX

s32512loop:
	LEAQ 8(AX), BX
	CMPQ BX, CX
	JGT s32512tail
	VCVTPS2PD (SI)(AX*4), Z0
	SIGMOID512(Z0, Z1, Z2)
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	MOVQ BX, AX
	JMP s32512loop

s32512tail:
	CMPQ AX, CX
	JGE done
	TAILMASK
	VCVTPS2PD.Z (SI)(AX*4), K3, Z0
	SIGMOID512(Z0, Z1, Z2)
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, K3, (DI)(AX*4)
	MOVQ CX, AX

done:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET
