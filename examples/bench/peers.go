package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pkg/errors"
)

// env is what the configs' sides share during one run: the options, stderr, and the peers,
// started or built at their first use.
type env struct {
	o      options
	stderr io.Writer
	noted  map[string]bool

	torchTried bool
	torch      *torchPeer // nil: not available

	cTried bool
	cBin   string // "": not available
	cDesc  string // how cBin was made, for the table's notes
	tmp    string // the directory cBin was built in, removed by close
}

// newEnv returns the run's env. Its stderr is safe for the peers' processes to write to while
// the run writes to it too.
func newEnv(o options, stderr io.Writer) *env {
	return &env{o: o, stderr: &lockedWriter{w: stderr}, noted: map[string]bool{}}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// note prints a line on stderr once per run.
func (e *env) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if !e.noted[s] {
		e.noted[s] = true
		fmt.Fprintln(e.stderr, "bench: "+s)
	}
}

// close stops the PyTorch peer and removes the C peer's build directory.
func (e *env) close() error {
	var err error
	if e.torch != nil {
		err = e.torch.close()
	}
	if e.tmp != "" {
		if rerr := os.RemoveAll(e.tmp); err == nil {
			err = rerr
		}
	}
	return err
}

// torchRequest is one request of torch_lstm97.py's --serve protocol: one repetition of at
// least Seconds of one model.
type torchRequest struct {
	Model   string  `json:"model"` // "adding" or "wide"
	Impl    string  `json:"impl"`  // "lstm97" or "nnlstm"
	T       int     `json:"T"`
	B       int     `json:"B"`
	Dtype   string  `json:"dtype"`
	Threads int     `json:"threads"`
	Seconds float64 `json:"seconds"`
	Blocks  int     `json:"blocks,omitempty"`
	Inputs  int     `json:"inputs,omitempty"`
	Outputs int     `json:"outputs,omitempty"`
}

// torchPeer is a running torch_lstm97.py --serve (or any command speaking its protocol).
type torchPeer struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	version string
}

// startTorch starts argv and reads its ready line.
func startTorch(argv []string, stderr io.Writer) (*torchPeer, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &torchPeer{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line, err := p.out.ReadBytes('\n')
	var ready struct {
		Ready bool   `json:"ready"`
		Torch string `json:"torch"`
	}
	if err != nil || json.Unmarshal(line, &ready) != nil || !ready.Ready {
		werr := p.close()
		return nil, errors.Errorf("no ready line (read %q, %v; exit: %v)", line, err, werr)
	}
	p.version = ready.Torch
	return p, nil
}

// ask sends one request and returns the answer's sequences per second.
func (p *torchPeer) ask(req torchRequest) (float64, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return 0, err
	}
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return 0, errors.Wrapf(err, "PyTorch peer: request %s", b)
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return 0, errors.Wrapf(err, "PyTorch peer: no answer to %s", b)
	}
	var ans struct {
		SeqPerS float64 `json:"seq_per_s"`
		Error   string  `json:"error"`
	}
	switch err := json.Unmarshal(line, &ans); {
	case err != nil:
		return 0, errors.Wrapf(err, "PyTorch peer: answer %q to %s", line, b)
	case ans.Error != "":
		return 0, errors.Errorf("PyTorch peer: %s, for %s", ans.Error, b)
	case !(ans.SeqPerS > 0):
		return 0, errors.Errorf("PyTorch peer: %g sequences per second for %s", ans.SeqPerS, b)
	}
	return ans.SeqPerS, nil
}

// close ends the peer's input and waits for it to exit.
func (p *torchPeer) close() error {
	p.in.Close()
	return p.cmd.Wait()
}

// torchPeer returns the running PyTorch peer, starting it at the first call; nil if there is
// none (said on stderr).
func (e *env) torchPeer() *torchPeer {
	if e.torchTried {
		return e.torch
	}
	e.torchTried = true
	switch {
	case len(e.o.torch) == 0:
		e.note("no PyTorch peer (-peer ''); skipping the torch rows")
		return nil
	case e.o.peerScript != "":
		if _, err := os.Stat(e.o.peerScript); err != nil {
			e.note("no PyTorch peer script at %s; skipping the torch rows", e.o.peerScript)
			return nil
		}
	}
	p, err := startTorch(e.o.torch, e.stderr)
	if err != nil {
		e.note("the PyTorch peer %q did not start (%v); skipping the torch rows (needs /usr/bin/python3 with torch: apt-get install -y python3-torch)", strings.Join(e.o.torch, " "), err)
		return nil
	}
	e.torch = p
	return p
}

// torchMeter measures one model of the PyTorch peer.
type torchMeter struct {
	p   *torchPeer
	req torchRequest
}

func (m *torchMeter) rate(seconds float64) (float64, error) {
	r := m.req
	r.Seconds = seconds
	return m.p.ask(r)
}

func (m *torchMeter) close() {}

// torchSide is a PyTorch model as a peer, in dtype ("": -dtype's) on threads threads.
func torchSide(req torchRequest, dtype string, threads int) side {
	return func(e *env) (meter, error) {
		p := e.torchPeer()
		if p == nil {
			return nil, nil
		}
		r := req
		r.Dtype, r.Threads = dtype, threads
		if r.Dtype == "" {
			r.Dtype = e.o.dtypeName
		}
		return &torchMeter{p: p, req: r}, nil
	}
}

// cPeer returns the C peer's binary: -cpeer's, or -csrc built with gcc -O2 at the first call;
// "" if there is none (said on stderr). A -cpeer that does not exist is an error.
func (e *env) cPeer() (string, error) {
	if e.cTried {
		return e.cBin, nil
	}
	e.cTried = true
	if e.o.cpeer != "" {
		if _, err := os.Stat(e.o.cpeer); err != nil {
			return "", errors.Wrap(err, "-cpeer")
		}
		e.cBin, e.cDesc = e.o.cpeer, e.o.cpeer
		return e.cBin, nil
	}
	src := e.o.csrc
	if src == "" {
		e.note("no C peer (-cpeer and -csrc are empty); skipping the c rows")
		return "", nil
	}
	if _, err := os.Stat(src); err != nil {
		e.note("no C peer source at %s; skipping the c rows", src)
		return "", nil
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		e.note("no gcc to build %s; skipping the c rows (or pass -cpeer BINARY)", src)
		return "", nil
	}
	if e.tmp, err = os.MkdirTemp("", "bench-lstm97-"); err != nil {
		return "", err
	}
	bin := filepath.Join(e.tmp, "lstm97")
	if out, err := exec.Command(gcc, "-O2", "-o", bin, src, "-lm").CombinedOutput(); err != nil {
		e.note("gcc -O2 %s failed (%v); skipping the c rows:\n%s", src, err, out)
		return "", nil
	}
	e.cBin, e.cDesc = bin, "gcc -O2 "+src
	return bin, nil
}

// cMeter runs the C peer's protocol: `BIN adding T seconds` or `BIN reber seconds`, each
// printing one JSON line {"impl":"c","task":..,"T":..,"seq_per_s":..,"steps_per_s":..}.
type cMeter struct {
	bin  string
	task string // "adding" or "reber"
	T    int    // adding's sequence length
}

// cSide is the C peer's task as a peer (T: adding's sequence length).
func cSide(task string, T int) side {
	return func(e *env) (meter, error) {
		bin, err := e.cPeer()
		if bin == "" || err != nil {
			return nil, err
		}
		return &cMeter{bin: bin, task: task, T: T}, nil
	}
}

func (m *cMeter) rate(seconds float64) (float64, error) {
	args := []string{m.task}
	if m.task == "adding" {
		args = append(args, strconv.Itoa(m.T))
	}
	cmd := exec.Command(m.bin, append(args, strconv.FormatFloat(seconds, 'g', -1, 64))...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return 0, errors.Wrapf(err, "c peer %q: %s", cmd.String(), strings.TrimSpace(errOut.String()))
	}
	r, err := parseC(out.Bytes(), m.task, m.T)
	return r, errors.Wrapf(err, "c peer %q", cmd.String())
}

func (m *cMeter) close() {}

// parseC reads the C peer's result line for task. For adding it returns steps_per_s / T, the
// rate in sequences of exactly T steps (the C peer draws lengths T..T+T/10, ours are T), or
// seq_per_s if the line has no steps_per_s; for reber, seq_per_s (both sides draw random
// embedded Reber strings).
func parseC(out []byte, task string, T int) (float64, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct {
			Task      string  `json:"task"`
			SeqPerS   float64 `json:"seq_per_s"`
			StepsPerS float64 `json:"steps_per_s"`
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Task != task || !(r.SeqPerS > 0) {
			continue
		}
		if task == "adding" && r.StepsPerS > 0 {
			return r.StepsPerS / float64(T), nil
		}
		return r.SeqPerS, nil
	}
	return 0, errors.Errorf("no result line for task %s with seq_per_s > 0 in %q", task, out)
}
