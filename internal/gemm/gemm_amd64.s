#include "textflag.h"

// The tiles of gemm_amd64.go, AVX2 (Y registers) and AVX-512 (Z registers, names ending in z): multiply, then add (never a fused multiply-add), so that
// each element of C is the plain loop's sum bit for bit.

// func tile4x8f64(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
TEXT ·tile4x8f64(SB), NOSPLIT, $0-88
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ arow+24(FP), R9
	MOVQ ainner+32(FP), R10
	MOVQ aouter+40(FP), R11
	MOVQ d+48(FP), DX
	MOVQ dinner+56(FP), R12
	MOVQ douter+64(FP), R13
	MOVQ inner+72(FP), CX
	MOVQ outer+80(FP), BX
	LEAQ (R9)(R9*2), R14
	LEAQ (R8)(R8*2), AX
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD (DI)(R8*1), Y2
	VMOVUPD 32(DI)(R8*1), Y3
	VMOVUPD (DI)(R8*2), Y4
	VMOVUPD 32(DI)(R8*2), Y5
	VMOVUPD (DI)(AX*1), Y6
	VMOVUPD 32(DI)(AX*1), Y7

outer:
	MOVQ CX, AX

inner:
	VMOVUPD (DX), Y8
	VMOVUPD 32(DX), Y9
	VBROADCASTSD (SI), Y10
	VMULPD Y8, Y10, Y11
	VADDPD Y11, Y0, Y0
	VMULPD Y9, Y10, Y12
	VADDPD Y12, Y1, Y1
	VBROADCASTSD (SI)(R9*1), Y13
	VMULPD Y8, Y13, Y14
	VADDPD Y14, Y2, Y2
	VMULPD Y9, Y13, Y15
	VADDPD Y15, Y3, Y3
	VBROADCASTSD (SI)(R9*2), Y10
	VMULPD Y8, Y10, Y11
	VADDPD Y11, Y4, Y4
	VMULPD Y9, Y10, Y12
	VADDPD Y12, Y5, Y5
	VBROADCASTSD (SI)(R14*1), Y13
	VMULPD Y8, Y13, Y14
	VADDPD Y14, Y6, Y6
	VMULPD Y9, Y13, Y15
	VADDPD Y15, Y7, Y7
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer

	LEAQ (R8)(R8*2), AX
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, (DI)(R8*1)
	VMOVUPD Y3, 32(DI)(R8*1)
	VMOVUPD Y4, (DI)(R8*2)
	VMOVUPD Y5, 32(DI)(R8*2)
	VMOVUPD Y6, (DI)(AX*1)
	VMOVUPD Y7, 32(DI)(AX*1)
	VZEROUPPER
	RET

// func tile1x8f64(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
TEXT ·tile1x8f64(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ ainner+16(FP), R10
	MOVQ aouter+24(FP), R11
	MOVQ d+32(FP), DX
	MOVQ dinner+40(FP), R12
	MOVQ douter+48(FP), R13
	MOVQ inner+56(FP), CX
	MOVQ outer+64(FP), BX
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1

outer1:
	MOVQ CX, AX

inner1:
	VBROADCASTSD (SI), Y10
	VMOVUPD (DX), Y8
	VMOVUPD 32(DX), Y9
	VMULPD Y8, Y10, Y11
	VADDPD Y11, Y0, Y0
	VMULPD Y9, Y10, Y12
	VADDPD Y12, Y1, Y1
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner1
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer1

	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VZEROUPPER
	RET

// func tile4x16f32(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
TEXT ·tile4x16f32(SB), NOSPLIT, $0-88
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ arow+24(FP), R9
	MOVQ ainner+32(FP), R10
	MOVQ aouter+40(FP), R11
	MOVQ d+48(FP), DX
	MOVQ dinner+56(FP), R12
	MOVQ douter+64(FP), R13
	MOVQ inner+72(FP), CX
	MOVQ outer+80(FP), BX
	LEAQ (R9)(R9*2), R14
	LEAQ (R8)(R8*2), AX
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS (DI)(R8*1), Y2
	VMOVUPS 32(DI)(R8*1), Y3
	VMOVUPS (DI)(R8*2), Y4
	VMOVUPS 32(DI)(R8*2), Y5
	VMOVUPS (DI)(AX*1), Y6
	VMOVUPS 32(DI)(AX*1), Y7

outer:
	MOVQ CX, AX

inner:
	VMOVUPS (DX), Y8
	VMOVUPS 32(DX), Y9
	VBROADCASTSS (SI), Y10
	VMULPS Y8, Y10, Y11
	VADDPS Y11, Y0, Y0
	VMULPS Y9, Y10, Y12
	VADDPS Y12, Y1, Y1
	VBROADCASTSS (SI)(R9*1), Y13
	VMULPS Y8, Y13, Y14
	VADDPS Y14, Y2, Y2
	VMULPS Y9, Y13, Y15
	VADDPS Y15, Y3, Y3
	VBROADCASTSS (SI)(R9*2), Y10
	VMULPS Y8, Y10, Y11
	VADDPS Y11, Y4, Y4
	VMULPS Y9, Y10, Y12
	VADDPS Y12, Y5, Y5
	VBROADCASTSS (SI)(R14*1), Y13
	VMULPS Y8, Y13, Y14
	VADDPS Y14, Y6, Y6
	VMULPS Y9, Y13, Y15
	VADDPS Y15, Y7, Y7
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer

	LEAQ (R8)(R8*2), AX
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R8*1)
	VMOVUPS Y3, 32(DI)(R8*1)
	VMOVUPS Y4, (DI)(R8*2)
	VMOVUPS Y5, 32(DI)(R8*2)
	VMOVUPS Y6, (DI)(AX*1)
	VMOVUPS Y7, 32(DI)(AX*1)
	VZEROUPPER
	RET

// func tile1x16f32(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
TEXT ·tile1x16f32(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ ainner+16(FP), R10
	MOVQ aouter+24(FP), R11
	MOVQ d+32(FP), DX
	MOVQ dinner+40(FP), R12
	MOVQ douter+48(FP), R13
	MOVQ inner+56(FP), CX
	MOVQ outer+64(FP), BX
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1

outer1:
	MOVQ CX, AX

inner1:
	VBROADCASTSS (SI), Y10
	VMOVUPS (DX), Y8
	VMOVUPS 32(DX), Y9
	VMULPS Y8, Y10, Y11
	VADDPS Y11, Y0, Y0
	VMULPS Y9, Y10, Y12
	VADDPS Y12, Y1, Y1
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner1
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer1

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VZEROUPPER
	RET

// func tile4x16f64z(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
TEXT ·tile4x16f64z(SB), NOSPLIT, $0-88
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ arow+24(FP), R9
	MOVQ ainner+32(FP), R10
	MOVQ aouter+40(FP), R11
	MOVQ d+48(FP), DX
	MOVQ dinner+56(FP), R12
	MOVQ douter+64(FP), R13
	MOVQ inner+72(FP), CX
	MOVQ outer+80(FP), BX
	LEAQ (R9)(R9*2), R14
	LEAQ (R8)(R8*2), AX
	VMOVUPD (DI), Z0
	VMOVUPD 64(DI), Z1
	VMOVUPD (DI)(R8*1), Z2
	VMOVUPD 64(DI)(R8*1), Z3
	VMOVUPD (DI)(R8*2), Z4
	VMOVUPD 64(DI)(R8*2), Z5
	VMOVUPD (DI)(AX*1), Z6
	VMOVUPD 64(DI)(AX*1), Z7

outerz:
	MOVQ CX, AX

innerz:
	VMOVUPD (DX), Z8
	VMOVUPD 64(DX), Z9
	VBROADCASTSD (SI), Z10
	VMULPD Z8, Z10, Z11
	VADDPD Z11, Z0, Z0
	VMULPD Z9, Z10, Z12
	VADDPD Z12, Z1, Z1
	VBROADCASTSD (SI)(R9*1), Z13
	VMULPD Z8, Z13, Z14
	VADDPD Z14, Z2, Z2
	VMULPD Z9, Z13, Z15
	VADDPD Z15, Z3, Z3
	VBROADCASTSD (SI)(R9*2), Z10
	VMULPD Z8, Z10, Z11
	VADDPD Z11, Z4, Z4
	VMULPD Z9, Z10, Z12
	VADDPD Z12, Z5, Z5
	VBROADCASTSD (SI)(R14*1), Z13
	VMULPD Z8, Z13, Z14
	VADDPD Z14, Z6, Z6
	VMULPD Z9, Z13, Z15
	VADDPD Z15, Z7, Z7
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  innerz
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outerz

	LEAQ (R8)(R8*2), AX
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	VMOVUPD Z2, (DI)(R8*1)
	VMOVUPD Z3, 64(DI)(R8*1)
	VMOVUPD Z4, (DI)(R8*2)
	VMOVUPD Z5, 64(DI)(R8*2)
	VMOVUPD Z6, (DI)(AX*1)
	VMOVUPD Z7, 64(DI)(AX*1)
	VZEROUPPER
	RET

// func tile1x16f64z(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
TEXT ·tile1x16f64z(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ ainner+16(FP), R10
	MOVQ aouter+24(FP), R11
	MOVQ d+32(FP), DX
	MOVQ dinner+40(FP), R12
	MOVQ douter+48(FP), R13
	MOVQ inner+56(FP), CX
	MOVQ outer+64(FP), BX
	VMOVUPD (DI), Z0
	VMOVUPD 64(DI), Z1

outer1z:
	MOVQ CX, AX

inner1z:
	VBROADCASTSD (SI), Z10
	VMOVUPD (DX), Z8
	VMOVUPD 64(DX), Z9
	VMULPD Z8, Z10, Z11
	VADDPD Z11, Z0, Z0
	VMULPD Z9, Z10, Z12
	VADDPD Z12, Z1, Z1
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner1z
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer1z

	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	VZEROUPPER
	RET

// func tile4x32f32z(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
TEXT ·tile4x32f32z(SB), NOSPLIT, $0-88
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ arow+24(FP), R9
	MOVQ ainner+32(FP), R10
	MOVQ aouter+40(FP), R11
	MOVQ d+48(FP), DX
	MOVQ dinner+56(FP), R12
	MOVQ douter+64(FP), R13
	MOVQ inner+72(FP), CX
	MOVQ outer+80(FP), BX
	LEAQ (R9)(R9*2), R14
	LEAQ (R8)(R8*2), AX
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS (DI)(R8*1), Z2
	VMOVUPS 64(DI)(R8*1), Z3
	VMOVUPS (DI)(R8*2), Z4
	VMOVUPS 64(DI)(R8*2), Z5
	VMOVUPS (DI)(AX*1), Z6
	VMOVUPS 64(DI)(AX*1), Z7

outerz:
	MOVQ CX, AX

innerz:
	VMOVUPS (DX), Z8
	VMOVUPS 64(DX), Z9
	VBROADCASTSS (SI), Z10
	VMULPS Z8, Z10, Z11
	VADDPS Z11, Z0, Z0
	VMULPS Z9, Z10, Z12
	VADDPS Z12, Z1, Z1
	VBROADCASTSS (SI)(R9*1), Z13
	VMULPS Z8, Z13, Z14
	VADDPS Z14, Z2, Z2
	VMULPS Z9, Z13, Z15
	VADDPS Z15, Z3, Z3
	VBROADCASTSS (SI)(R9*2), Z10
	VMULPS Z8, Z10, Z11
	VADDPS Z11, Z4, Z4
	VMULPS Z9, Z10, Z12
	VADDPS Z12, Z5, Z5
	VBROADCASTSS (SI)(R14*1), Z13
	VMULPS Z8, Z13, Z14
	VADDPS Z14, Z6, Z6
	VMULPS Z9, Z13, Z15
	VADDPS Z15, Z7, Z7
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  innerz
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outerz

	LEAQ (R8)(R8*2), AX
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, (DI)(R8*1)
	VMOVUPS Z3, 64(DI)(R8*1)
	VMOVUPS Z4, (DI)(R8*2)
	VMOVUPS Z5, 64(DI)(R8*2)
	VMOVUPS Z6, (DI)(AX*1)
	VMOVUPS Z7, 64(DI)(AX*1)
	VZEROUPPER
	RET

// func tile1x32f32z(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
TEXT ·tile1x32f32z(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ ainner+16(FP), R10
	MOVQ aouter+24(FP), R11
	MOVQ d+32(FP), DX
	MOVQ dinner+40(FP), R12
	MOVQ douter+48(FP), R13
	MOVQ inner+56(FP), CX
	MOVQ outer+64(FP), BX
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1

outer1z:
	MOVQ CX, AX

inner1z:
	VBROADCASTSS (SI), Z10
	VMOVUPS (DX), Z8
	VMOVUPS 64(DX), Z9
	VMULPS Z8, Z10, Z11
	VADDPS Z11, Z0, Z0
	VMULPS Z9, Z10, Z12
	VADDPS Z12, Z1, Z1
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner1z
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer1z

	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VZEROUPPER
	RET

// func tile4x8f32(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
TEXT ·tile4x8f32(SB), NOSPLIT, $0-88
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ arow+24(FP), R9
	MOVQ ainner+32(FP), R10
	MOVQ aouter+40(FP), R11
	MOVQ d+48(FP), DX
	MOVQ dinner+56(FP), R12
	MOVQ douter+64(FP), R13
	MOVQ inner+72(FP), CX
	MOVQ outer+80(FP), BX
	LEAQ (R9)(R9*2), R14
	LEAQ (R8)(R8*2), AX
	VMOVUPS (DI), Y0
	VMOVUPS (DI)(R8*1), Y2
	VMOVUPS (DI)(R8*2), Y4
	VMOVUPS (DI)(AX*1), Y6

outer:
	MOVQ CX, AX

inner:
	VMOVUPS (DX), Y8
	VBROADCASTSS (SI), Y10
	VMULPS Y8, Y10, Y11
	VADDPS Y11, Y0, Y0
	VBROADCASTSS (SI)(R9*1), Y13
	VMULPS Y8, Y13, Y14
	VADDPS Y14, Y2, Y2
	VBROADCASTSS (SI)(R9*2), Y10
	VMULPS Y8, Y10, Y12
	VADDPS Y12, Y4, Y4
	VBROADCASTSS (SI)(R14*1), Y13
	VMULPS Y8, Y13, Y15
	VADDPS Y15, Y6, Y6
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer

	LEAQ (R8)(R8*2), AX
	VMOVUPS Y0, (DI)
	VMOVUPS Y2, (DI)(R8*1)
	VMOVUPS Y4, (DI)(R8*2)
	VMOVUPS Y6, (DI)(AX*1)
	VZEROUPPER
	RET

// func tile1x8f32(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
TEXT ·tile1x8f32(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ ainner+16(FP), R10
	MOVQ aouter+24(FP), R11
	MOVQ d+32(FP), DX
	MOVQ dinner+40(FP), R12
	MOVQ douter+48(FP), R13
	MOVQ inner+56(FP), CX
	MOVQ outer+64(FP), BX
	VMOVUPS (DI), Y0

outer1:
	MOVQ CX, AX

inner1:
	VBROADCASTSS (SI), Y10
	VMOVUPS (DX), Y8
	VMULPS Y8, Y10, Y11
	VADDPS Y11, Y0, Y0
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner1
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer1

	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET

// The tail tiles: the last cols < 8 (float64) or < 16 (float32) columns of C, in one Z register
// per row whose lanes beyond cols are masked off (K1 = 1<<cols - 1): the loads of C and D zero
// them without reading memory (a masked-off lane never faults, so a row may end where its slice
// does), the store leaves them untouched. KMOVW is AVX-512F (KMOVB would need DQ).

// func tail4f64z(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)
TEXT ·tail4f64z(SB), NOSPLIT, $0-96
	MOVQ cols+88(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ arow+24(FP), R9
	MOVQ ainner+32(FP), R10
	MOVQ aouter+40(FP), R11
	MOVQ d+48(FP), DX
	MOVQ dinner+56(FP), R12
	MOVQ douter+64(FP), R13
	MOVQ inner+72(FP), CX
	MOVQ outer+80(FP), BX
	LEAQ (R9)(R9*2), R14
	LEAQ (R8)(R8*2), AX
	VMOVUPD.Z (DI), K1, Z0
	VMOVUPD.Z (DI)(R8*1), K1, Z2
	VMOVUPD.Z (DI)(R8*2), K1, Z4
	VMOVUPD.Z (DI)(AX*1), K1, Z6

outer:
	MOVQ CX, AX

inner:
	VMOVUPD.Z (DX), K1, Z8
	VBROADCASTSD (SI), Z10
	VMULPD Z8, Z10, Z11
	VADDPD Z11, Z0, Z0
	VBROADCASTSD (SI)(R9*1), Z13
	VMULPD Z8, Z13, Z14
	VADDPD Z14, Z2, Z2
	VBROADCASTSD (SI)(R9*2), Z10
	VMULPD Z8, Z10, Z12
	VADDPD Z12, Z4, Z4
	VBROADCASTSD (SI)(R14*1), Z13
	VMULPD Z8, Z13, Z15
	VADDPD Z15, Z6, Z6
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer

	LEAQ (R8)(R8*2), AX
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z2, K1, (DI)(R8*1)
	VMOVUPD Z4, K1, (DI)(R8*2)
	VMOVUPD Z6, K1, (DI)(AX*1)
	VZEROUPPER
	RET

// func tail1f64z(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)
TEXT ·tail1f64z(SB), NOSPLIT, $0-80
	MOVQ cols+72(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ ainner+16(FP), R10
	MOVQ aouter+24(FP), R11
	MOVQ d+32(FP), DX
	MOVQ dinner+40(FP), R12
	MOVQ douter+48(FP), R13
	MOVQ inner+56(FP), CX
	MOVQ outer+64(FP), BX
	VMOVUPD.Z (DI), K1, Z0

outer1:
	MOVQ CX, AX

inner1:
	VBROADCASTSD (SI), Z10
	VMOVUPD.Z (DX), K1, Z8
	VMULPD Z8, Z10, Z11
	VADDPD Z11, Z0, Z0
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner1
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer1

	VMOVUPD Z0, K1, (DI)
	VZEROUPPER
	RET

// func tail4f32z(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)
TEXT ·tail4f32z(SB), NOSPLIT, $0-96
	MOVQ cols+88(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ arow+24(FP), R9
	MOVQ ainner+32(FP), R10
	MOVQ aouter+40(FP), R11
	MOVQ d+48(FP), DX
	MOVQ dinner+56(FP), R12
	MOVQ douter+64(FP), R13
	MOVQ inner+72(FP), CX
	MOVQ outer+80(FP), BX
	LEAQ (R9)(R9*2), R14
	LEAQ (R8)(R8*2), AX
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (DI)(R8*1), K1, Z2
	VMOVUPS.Z (DI)(R8*2), K1, Z4
	VMOVUPS.Z (DI)(AX*1), K1, Z6

outer:
	MOVQ CX, AX

inner:
	VMOVUPS.Z (DX), K1, Z8
	VBROADCASTSS (SI), Z10
	VMULPS Z8, Z10, Z11
	VADDPS Z11, Z0, Z0
	VBROADCASTSS (SI)(R9*1), Z13
	VMULPS Z8, Z13, Z14
	VADDPS Z14, Z2, Z2
	VBROADCASTSS (SI)(R9*2), Z10
	VMULPS Z8, Z10, Z12
	VADDPS Z12, Z4, Z4
	VBROADCASTSS (SI)(R14*1), Z13
	VMULPS Z8, Z13, Z15
	VADDPS Z15, Z6, Z6
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer

	LEAQ (R8)(R8*2), AX
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z2, K1, (DI)(R8*1)
	VMOVUPS Z4, K1, (DI)(R8*2)
	VMOVUPS Z6, K1, (DI)(AX*1)
	VZEROUPPER
	RET

// func tail1f32z(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)
TEXT ·tail1f32z(SB), NOSPLIT, $0-80
	MOVQ cols+72(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ ainner+16(FP), R10
	MOVQ aouter+24(FP), R11
	MOVQ d+32(FP), DX
	MOVQ dinner+40(FP), R12
	MOVQ douter+48(FP), R13
	MOVQ inner+56(FP), CX
	MOVQ outer+64(FP), BX
	VMOVUPS.Z (DI), K1, Z0

outer1:
	MOVQ CX, AX

inner1:
	VBROADCASTSS (SI), Z10
	VMOVUPS.Z (DX), K1, Z8
	VMULPS Z8, Z10, Z11
	VADDPS Z11, Z0, Z0
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner1
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer1

	VMOVUPS Z0, K1, (DI)
	VZEROUPPER
	RET

// The AVX2 tail tiles: the same with VMASKMOVPD/VMASKMOVPS, whose masks are vectors, lane on
// where its sign bit is set, read from tailmask: 64 bytes of ones then 64 of zeros, so that
// the 64 (float64, two Y registers) or 32 (float32, one) bytes at tailmask + 64 - cols·size
// are on for the first cols lanes exactly. A masked-off lane is neither read (nor faults) nor
// written. Up to 7 columns.
DATA tailmask<>+0(SB)/8, $-1
DATA tailmask<>+8(SB)/8, $-1
DATA tailmask<>+16(SB)/8, $-1
DATA tailmask<>+24(SB)/8, $-1
DATA tailmask<>+32(SB)/8, $-1
DATA tailmask<>+40(SB)/8, $-1
DATA tailmask<>+48(SB)/8, $-1
DATA tailmask<>+56(SB)/8, $-1
DATA tailmask<>+64(SB)/8, $0
DATA tailmask<>+72(SB)/8, $0
DATA tailmask<>+80(SB)/8, $0
DATA tailmask<>+88(SB)/8, $0
DATA tailmask<>+96(SB)/8, $0
DATA tailmask<>+104(SB)/8, $0
DATA tailmask<>+112(SB)/8, $0
DATA tailmask<>+120(SB)/8, $0
GLOBL tailmask<>(SB), RODATA|NOPTR, $128

// func tail4f64(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)
TEXT ·tail4f64(SB), NOSPLIT, $0-96
	MOVQ cols+88(FP), CX
	SHLQ $3, CX
	LEAQ tailmask<>+64(SB), AX
	SUBQ CX, AX
	VMOVDQU (AX), Y14
	VMOVDQU 32(AX), Y15
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ arow+24(FP), R9
	MOVQ ainner+32(FP), R10
	MOVQ aouter+40(FP), R11
	MOVQ d+48(FP), DX
	MOVQ dinner+56(FP), R12
	MOVQ douter+64(FP), R13
	MOVQ inner+72(FP), CX
	MOVQ outer+80(FP), BX
	LEAQ (R9)(R9*2), R14
	LEAQ (R8)(R8*2), AX
	VMASKMOVPD (DI), Y14, Y0
	VMASKMOVPD 32(DI), Y15, Y1
	VMASKMOVPD (DI)(R8*1), Y14, Y2
	VMASKMOVPD 32(DI)(R8*1), Y15, Y3
	VMASKMOVPD (DI)(R8*2), Y14, Y4
	VMASKMOVPD 32(DI)(R8*2), Y15, Y5
	VMASKMOVPD (DI)(AX*1), Y14, Y6
	VMASKMOVPD 32(DI)(AX*1), Y15, Y7

outer:
	MOVQ CX, AX

inner:
	VMASKMOVPD (DX), Y14, Y8
	VMASKMOVPD 32(DX), Y15, Y9
	VBROADCASTSD (SI), Y10
	VMULPD Y8, Y10, Y11
	VADDPD Y11, Y0, Y0
	VMULPD Y9, Y10, Y12
	VADDPD Y12, Y1, Y1
	VBROADCASTSD (SI)(R9*1), Y10
	VMULPD Y8, Y10, Y11
	VADDPD Y11, Y2, Y2
	VMULPD Y9, Y10, Y12
	VADDPD Y12, Y3, Y3
	VBROADCASTSD (SI)(R9*2), Y10
	VMULPD Y8, Y10, Y11
	VADDPD Y11, Y4, Y4
	VMULPD Y9, Y10, Y12
	VADDPD Y12, Y5, Y5
	VBROADCASTSD (SI)(R14*1), Y10
	VMULPD Y8, Y10, Y11
	VADDPD Y11, Y6, Y6
	VMULPD Y9, Y10, Y12
	VADDPD Y12, Y7, Y7
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer

	LEAQ (R8)(R8*2), AX
	VMASKMOVPD Y0, Y14, (DI)
	VMASKMOVPD Y1, Y15, 32(DI)
	VMASKMOVPD Y2, Y14, (DI)(R8*1)
	VMASKMOVPD Y3, Y15, 32(DI)(R8*1)
	VMASKMOVPD Y4, Y14, (DI)(R8*2)
	VMASKMOVPD Y5, Y15, 32(DI)(R8*2)
	VMASKMOVPD Y6, Y14, (DI)(AX*1)
	VMASKMOVPD Y7, Y15, 32(DI)(AX*1)
	VZEROUPPER
	RET

// func tail1f64(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)
TEXT ·tail1f64(SB), NOSPLIT, $0-80
	MOVQ cols+72(FP), CX
	SHLQ $3, CX
	LEAQ tailmask<>+64(SB), AX
	SUBQ CX, AX
	VMOVDQU (AX), Y14
	VMOVDQU 32(AX), Y15
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ ainner+16(FP), R10
	MOVQ aouter+24(FP), R11
	MOVQ d+32(FP), DX
	MOVQ dinner+40(FP), R12
	MOVQ douter+48(FP), R13
	MOVQ inner+56(FP), CX
	MOVQ outer+64(FP), BX
	VMASKMOVPD (DI), Y14, Y0
	VMASKMOVPD 32(DI), Y15, Y1

outer1:
	MOVQ CX, AX

inner1:
	VBROADCASTSD (SI), Y10
	VMASKMOVPD (DX), Y14, Y8
	VMASKMOVPD 32(DX), Y15, Y9
	VMULPD Y8, Y10, Y11
	VADDPD Y11, Y0, Y0
	VMULPD Y9, Y10, Y12
	VADDPD Y12, Y1, Y1
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner1
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer1

	VMASKMOVPD Y0, Y14, (DI)
	VMASKMOVPD Y1, Y15, 32(DI)
	VZEROUPPER
	RET

// func tail4f32(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)
TEXT ·tail4f32(SB), NOSPLIT, $0-96
	MOVQ cols+88(FP), CX
	SHLQ $2, CX
	LEAQ tailmask<>+64(SB), AX
	SUBQ CX, AX
	VMOVDQU (AX), Y14
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ arow+24(FP), R9
	MOVQ ainner+32(FP), R10
	MOVQ aouter+40(FP), R11
	MOVQ d+48(FP), DX
	MOVQ dinner+56(FP), R12
	MOVQ douter+64(FP), R13
	MOVQ inner+72(FP), CX
	MOVQ outer+80(FP), BX
	LEAQ (R9)(R9*2), R14
	LEAQ (R8)(R8*2), AX
	VMASKMOVPS (DI), Y14, Y0
	VMASKMOVPS (DI)(R8*1), Y14, Y2
	VMASKMOVPS (DI)(R8*2), Y14, Y4
	VMASKMOVPS (DI)(AX*1), Y14, Y6

outer:
	MOVQ CX, AX

inner:
	VMASKMOVPS (DX), Y14, Y8
	VBROADCASTSS (SI), Y10
	VMULPS Y8, Y10, Y11
	VADDPS Y11, Y0, Y0
	VBROADCASTSS (SI)(R9*1), Y13
	VMULPS Y8, Y13, Y12
	VADDPS Y12, Y2, Y2
	VBROADCASTSS (SI)(R9*2), Y10
	VMULPS Y8, Y10, Y11
	VADDPS Y11, Y4, Y4
	VBROADCASTSS (SI)(R14*1), Y13
	VMULPS Y8, Y13, Y12
	VADDPS Y12, Y6, Y6
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer

	LEAQ (R8)(R8*2), AX
	VMASKMOVPS Y0, Y14, (DI)
	VMASKMOVPS Y2, Y14, (DI)(R8*1)
	VMASKMOVPS Y4, Y14, (DI)(R8*2)
	VMASKMOVPS Y6, Y14, (DI)(AX*1)
	VZEROUPPER
	RET

// func tail1f32(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)
TEXT ·tail1f32(SB), NOSPLIT, $0-80
	MOVQ cols+72(FP), CX
	SHLQ $2, CX
	LEAQ tailmask<>+64(SB), AX
	SUBQ CX, AX
	VMOVDQU (AX), Y14
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ ainner+16(FP), R10
	MOVQ aouter+24(FP), R11
	MOVQ d+32(FP), DX
	MOVQ dinner+40(FP), R12
	MOVQ douter+48(FP), R13
	MOVQ inner+56(FP), CX
	MOVQ outer+64(FP), BX
	VMASKMOVPS (DI), Y14, Y0

outer1:
	MOVQ CX, AX

inner1:
	VBROADCASTSS (SI), Y10
	VMASKMOVPS (DX), Y14, Y8
	VMULPS Y8, Y10, Y11
	VADDPS Y11, Y0, Y0
	ADDQ R10, SI
	ADDQ R12, DX
	DECQ AX
	JNZ  inner1
	ADDQ R11, SI
	ADDQ R13, DX
	DECQ BX
	JNZ  outer1

	VMASKMOVPS Y0, Y14, (DI)
	VZEROUPPER
	RET
