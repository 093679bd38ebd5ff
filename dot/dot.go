package dot

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/atomicfile"
	"github.com/lstm97/lstm97/graph"
)

// ViewKind selects what Write draws.
type ViewKind int

const (
	// ViewFull draws every node (gradient nodes only with Config.Gradients).
	ViewFull ViewKind = iota
	// ViewStep draws the nodes of one time step (Config.Step), with the nodes they read from
	// other steps and the parameters drawn as external nodes: for an unrolled LSTM, the memory
	// cell diagram of the paper's Fig. 1.
	ViewStep
	// ViewSteps draws the first Config.Steps time steps and collapses the later ones into
	// one box per layer (the paper's Fig. 2, unfolded in time).
	ViewSteps
	// ViewSummary draws one box per top-level scope (layer, input, target, ...) and the edges
	// between them.
	ViewSummary
)

// Config configures Write. The zero value draws the full forward graph.
type Config struct {
	View ViewKind
	// Step is the time step of ViewStep (0-based).
	Step int
	// Steps is the number of steps ViewSteps unrolls (>= 1).
	Steps int
	// Gradients also draws the nodes that differentiation added (hidden by default).
	Gradients bool
	// Values, if set, adds up to four values of each node from the program's last run.
	Values *graph.Program
	// Name is the graph's name in the DOT output. Default "lstm97".
	Name string
}

type dotNode struct {
	n     *G.Node
	idx   int // position in the graph: the stable ID "n<idx>"
	kind  graph.NodeKind
	scope []string // cluster path
	step  int      // time step, -1 if none
	note  graph.Note
	kids  []*G.Node
}

// stepOf returns the step number of the first "t<digits>" segment, or -1.
func stepOf(segs []string) int {
	for _, s := range segs {
		if len(s) > 1 && s[0] == 't' {
			if v, err := strconv.Atoi(s[1:]); err == nil && v >= 0 && strconv.Itoa(v) == s[1:] {
				return v
			}
		}
	}
	return -1
}

func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// classify returns every node of the builder's graph with its kind, scope and step.
func classify(b *graph.Builder) ([]*dotNode, map[*G.Node]*dotNode) {
	infos := b.Inspect()
	out := make([]*dotNode, 0, len(infos))
	by := make(map[*G.Node]*dotNode, len(infos))
	for i, info := range infos {
		d := &dotNode{n: info.Node, idx: i, kind: info.Kind, note: info.Note, kids: info.Children, scope: splitPath(info.Scope)}
		stepSegs := d.scope
		if d.kind == graph.KindParam || d.kind == graph.KindInput || d.kind == graph.KindFixed {
			stepSegs = splitPath(info.Node.Name())
		}
		d.step = stepOf(stepSegs)
		out = append(out, d)
		by[info.Node] = d
	}
	return out, by
}

// Write writes the builder's graph in graphviz's DOT language. The output depends only on
// the graph (node IDs are positions in the graph, clusters are ordered by first appearance), so
// the same graph gives byte-identical output. Truncation is drawn in red and dashed (no error
// flows back through it) and the cell-state path s(t-1) -> s(t), the constant error carousel,
// in bold blue.
func Write(w io.Writer, b *graph.Builder, cfg Config) error {
	if b == nil {
		return errors.New("dot: nil builder")
	}
	nodes, by := classify(b)
	if len(nodes) == 0 {
		return errors.New("dot: empty graph")
	}
	if cfg.Name == "" {
		cfg.Name = "lstm97"
	}
	maxStep := -1
	for _, d := range nodes {
		maxStep = max(maxStep, d.step)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var err error
	switch cfg.View {
	case ViewFull:
		err = writeNodes(bw, cfg, nodes, by, func(d *dotNode) bool { return cfg.Gradients || (d.kind != graph.KindGrad && d.kind != graph.KindConst) }, nil)
	case ViewStep:
		if maxStep < 0 {
			return errors.New("dot: the graph has no time steps (a fused sequence has none; build it unrolled)")
		}
		if cfg.Step < 0 || cfg.Step > maxStep {
			return errors.Errorf("dot: view asks for step %d, the graph has steps 0..%d", cfg.Step, maxStep)
		}
		in := func(d *dotNode) bool {
			return d.step == cfg.Step && (cfg.Gradients || d.kind != graph.KindGrad && d.kind != graph.KindConst)
		}
		err = writeNodes(bw, cfg, nodes, by, in, nil)
	case ViewSteps:
		if maxStep < 0 {
			return errors.New("dot: the graph has no time steps (a fused sequence has none; build it unrolled)")
		}
		if cfg.Steps < 1 || cfg.Steps > maxStep+1 {
			return errors.Errorf("dot: view asks for %d steps, the graph has %d", cfg.Steps, maxStep+1)
		}
		in := func(d *dotNode) bool {
			return (d.step < cfg.Steps) && (cfg.Gradients || d.kind != graph.KindGrad && d.kind != graph.KindConst)
		}
		collapse := func(d *dotNode) (string, bool) {
			if d.step < cfg.Steps || (!cfg.Gradients && (d.kind == graph.KindGrad || d.kind == graph.KindConst)) {
				return "", false
			}
			return collapsedKey(d), true
		}
		err = writeNodes(bw, cfg, nodes, by, in, collapse)
	case ViewSummary:
		err = writeSummary(bw, cfg, b, nodes, by)
	default:
		return errors.Errorf("dot: unknown view %d", cfg.View)
	}
	if err != nil {
		return err
	}
	return errors.Wrap(bw.Flush(), "dot: dot")
}

// collapsedKey names the box a collapsed node goes into: its path up to the step segment.
func collapsedKey(d *dotNode) string {
	segs := d.scope
	if d.kind == graph.KindInput || d.kind == graph.KindParam || d.kind == graph.KindFixed {
		segs = splitPath(d.n.Name())
	}
	var pre []string
	for _, s := range segs {
		if stepOf([]string{s}) >= 0 {
			break
		}
		pre = append(pre, s)
	}
	return strings.Join(pre, "/")
}

func quote(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case '\n':
			sb.WriteString(`\n`)
		default:
			if r < ' ' {
				continue
			}
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

func (d *dotNode) id() string { return "n" + strconv.Itoa(d.idx) }

func (d *dotNode) label(values *graph.Program) string {
	var lines []string
	switch d.kind {
	case graph.KindParam, graph.KindInput, graph.KindFixed:
		lines = append(lines, d.n.Name())
	case graph.KindConst:
		if v := d.n.Value(); v != nil {
			lines = append(lines, fmt.Sprint(v))
		} else {
			lines = append(lines, "const")
		}
	default:
		if d.note.Label != "" {
			lines = append(lines, d.note.Label)
		}
		lines = append(lines, opLabel(d.n.Op()))
	}
	if d.kind != graph.KindOp && d.note.Label != "" {
		lines = append(lines, d.note.Label)
	}
	if sh := d.n.Shape(); len(sh) > 0 {
		lines = append(lines, fmt.Sprint(sh))
	}
	if values != nil {
		if v, err := values.Value(d.n); err == nil {
			k := min(4, len(v))
			parts := make([]string, k)
			for i := range parts {
				parts[i] = strconv.FormatFloat(v[i], 'g', 4, 64)
			}
			s := strings.Join(parts, " ")
			if len(v) > k {
				s += " …"
			}
			lines = append(lines, s)
		}
	}
	return strings.Join(lines, "\n")
}

// opLabel is a short name for an op: gorgonia's own strings carry flags ("+ false").
func opLabel(op G.Op) string {
	s := op.String()
	s = strings.TrimSuffix(strings.TrimSuffix(s, " false"), " true")
	if s == "A × B" {
		return "matmul"
	}
	return s
}

// attrNames fixes the order in which node attributes are written.
var attrNames = []string{"shape", "style", "color", "fontcolor", "fillcolor", "penwidth"}

func (d *dotNode) attrs(values *graph.Program, external bool) string {
	a := map[string]string{"shape": "ellipse"}
	switch d.kind {
	case graph.KindParam:
		a["shape"], a["style"], a["fillcolor"] = "box", `"rounded,filled"`, `"#fde9c8"`
	case graph.KindInput:
		a["shape"], a["style"], a["fillcolor"] = "box", "filled", `"#d7e8fc"`
	case graph.KindFixed, graph.KindConst:
		a["shape"], a["color"], a["fontcolor"] = "box", "gray60", "gray40"
	case graph.KindGrad:
		a["color"], a["fontcolor"] = "gray70", "gray50"
	}
	switch d.note.Role {
	case graph.RoleStopGradient:
		a["shape"], a["color"], a["fontcolor"], a["style"] = "octagon", "red", "red", "dashed"
	case graph.RoleCellState:
		a["shape"], a["color"], a["penwidth"], a["style"], a["fillcolor"] = "doublecircle", "blue", "2", "filled", `"#e3ecff"`
	}
	if external {
		a["style"], a["color"], a["fontcolor"] = "dashed", "gray50", "gray40"
		delete(a, "fillcolor")
	}
	var parts []string
	for _, k := range attrNames {
		if v, ok := a[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	parts = append(parts, "label="+quote(d.label(values)))
	return strings.Join(parts, ", ")
}

// edgeAttrs styles an edge from operand d to consumer c.
func edgeAttrs(d, c *dotNode) string {
	switch {
	case c.note.Role == graph.RoleStopGradient:
		return ` [color=red, style=dashed, label="error stops"]`
	case d.note.Role == graph.RoleStopGradient:
		return ` [color=red, style=dashed]`
	case d.note.Role == graph.RoleCellState && c.note.Role == graph.RoleCellState:
		return ` [color=blue, penwidth=3, label="CEC (w = 1.0)"]`
	case d.kind == graph.KindGrad || c.kind == graph.KindGrad:
		return ` [color=gray70]`
	}
	return ""
}

// cluster is a node of the scope tree.
type cluster struct {
	name  string
	kids  []*cluster
	byKey map[string]*cluster
	lines []string
}

func (c *cluster) child(name string) *cluster {
	if k, ok := c.byKey[name]; ok {
		return k
	}
	k := &cluster{name: name, byKey: map[string]*cluster{}}
	c.byKey[name] = k
	c.kids = append(c.kids, k)
	return k
}

func (c *cluster) write(w *bufio.Writer, depth int, counter *int) {
	indent := strings.Repeat("  ", depth)
	for _, l := range c.lines {
		w.WriteString(indent)
		w.WriteString(l)
		w.WriteByte('\n')
	}
	for _, k := range c.kids {
		*counter++
		fmt.Fprintf(w, "%ssubgraph cluster_%d {\n%s  label=%s;\n", indent, *counter, indent, quote(k.name))
		k.write(w, depth+1, counter)
		fmt.Fprintf(w, "%s}\n", indent)
	}
}

func header(w *bufio.Writer, cfg Config) {
	fmt.Fprintf(w, "digraph %s {\n  rankdir=TB;\n  newrank=true;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n", quote(cfg.Name))
}

// writeNodes writes the nodes for which in is true inside their scope clusters, the operands
// they read that are not drawn as external nodes, and, if collapse is set, one box per key for
// the nodes it collapses.
func writeNodes(w *bufio.Writer, cfg Config, nodes []*dotNode, by map[*G.Node]*dotNode, in func(*dotNode) bool, collapse func(*dotNode) (string, bool)) error {
	header(w, cfg)
	root := &cluster{byKey: map[string]*cluster{}}
	drawn := map[*dotNode]bool{}
	boxes := map[string]string{} // collapse key -> box ID
	boxCount := map[string]int{}
	var boxOrder []string
	boxOf := func(d *dotNode) (string, bool) {
		if collapse == nil {
			return "", false
		}
		k, ok := collapse(d)
		if !ok {
			return "", false
		}
		if _, seen := boxes[k]; !seen {
			boxes[k] = "box" + strconv.Itoa(len(boxOrder))
			boxOrder = append(boxOrder, k)
		}
		return boxes[k], true
	}
	place := func(d *dotNode, external bool) {
		c := root
		if !external {
			for _, s := range d.scope {
				c = c.child(s)
			}
		}
		attrs := d.attrs(cfg.Values, external)
		if external && d.kind == graph.KindOp {
			// Name the leaves an external operation reads (e.g. the bias a shared reshape reads).
			var leaves []string
			for _, k := range d.kids {
				if kd := by[k]; kd != nil && (kd.kind == graph.KindParam || kd.kind == graph.KindInput || kd.kind == graph.KindFixed) {
					leaves = append(leaves, k.Name())
				}
			}
			if len(leaves) > 0 {
				attrs = strings.Replace(attrs, `label="`, `label="of `+strings.Join(leaves, ", ")+`\n`, 1)
			}
		}
		c.lines = append(c.lines, d.id()+" ["+attrs+"];")
		drawn[d] = true
	}
	for _, d := range nodes {
		if in(d) {
			place(d, false)
		} else if box, ok := boxOf(d); ok {
			boxCount[box]++
		}
	}
	var edges []string
	seenEdge := map[string]bool{}
	for _, d := range nodes {
		cid, cIn := d.id(), drawn[d]
		if !cIn {
			if collapse == nil {
				continue
			}
			box, ok := boxOf(d)
			if !ok {
				continue
			}
			cid = box
		}
		for _, k := range d.kids {
			kd := by[k]
			if kd == nil {
				continue
			}
			src := kd.id()
			if !drawn[kd] {
				if box, ok := boxOf(kd); ok {
					src = box
				} else if cIn && (cfg.Gradients || kd.kind != graph.KindGrad && kd.kind != graph.KindConst) {
					place(kd, true) // an operand from elsewhere: drawn dashed, outside the clusters
				} else {
					continue
				}
			}
			if src == cid {
				continue
			}
			e := src + " -> " + cid
			if seenEdge[e] {
				continue
			}
			seenEdge[e] = true
			attrs := ""
			if drawn[kd] && cIn {
				attrs = edgeAttrs(kd, d)
			}
			edges = append(edges, "  "+e+attrs+";")
		}
	}
	counter := 0
	root.write(w, 1, &counter)
	for _, k := range boxOrder {
		fmt.Fprintf(w, "  %s [shape=box3d, style=filled, fillcolor=gray92, label=%s];\n", boxes[k], quote(fmt.Sprintf("%s: later steps\n(%d nodes collapsed)", k, boxCount[boxes[k]])))
	}
	for _, e := range edges {
		w.WriteString(e)
		w.WriteByte('\n')
	}
	w.WriteString("}\n")
	return nil
}

// writeSummary draws one box per top-level scope.
func writeSummary(w *bufio.Writer, cfg Config, b *graph.Builder, nodes []*dotNode, by map[*G.Node]*dotNode) error {
	header(w, cfg)
	top := func(d *dotNode) string {
		segs := d.scope
		if d.kind == graph.KindParam || d.kind == graph.KindInput || d.kind == graph.KindFixed {
			segs = splitPath(d.n.Name())
		}
		if d.kind == graph.KindGrad || d.kind == graph.KindConst {
			if cfg.Gradients && d.kind == graph.KindGrad {
				return "(gradients)"
			}
			return ""
		}
		if len(segs) == 0 {
			return "(root)"
		}
		return segs[0]
	}
	type box struct {
		id                       string
		ops, params, weights, in int
	}
	boxes := map[string]*box{}
	var order []string
	for _, d := range nodes {
		t := top(d)
		if t == "" {
			continue
		}
		bx, ok := boxes[t]
		if !ok {
			bx = &box{id: "b" + strconv.Itoa(len(order))}
			boxes[t] = bx
			order = append(order, t)
		}
		switch d.kind {
		case graph.KindParam:
			bx.params++
			bx.weights += d.n.Shape().TotalSize()
		case graph.KindInput:
			bx.in++
		default:
			bx.ops++
		}
	}
	for _, t := range order {
		bx := boxes[t]
		var lines []string
		lines = append(lines, t)
		if bx.params > 0 {
			lines = append(lines, fmt.Sprintf("%d parameters, %d weights", bx.params, bx.weights))
		}
		if bx.in > 0 {
			lines = append(lines, fmt.Sprintf("%d input nodes", bx.in))
		}
		if bx.ops > 0 {
			lines = append(lines, fmt.Sprintf("%d operations", bx.ops))
		}
		fmt.Fprintf(w, "  %s [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3e2\", label=%s];\n", bx.id, quote(strings.Join(lines, "\n")))
	}
	count := map[string]int{}
	var edgeOrder []string
	for _, d := range nodes {
		to := top(d)
		if to == "" {
			continue
		}
		for _, k := range d.kids {
			kd := by[k]
			if kd == nil {
				continue
			}
			from := top(kd)
			if from == "" || from == to {
				continue
			}
			e := boxes[from].id + " -> " + boxes[to].id
			if count[e] == 0 {
				edgeOrder = append(edgeOrder, e)
			}
			count[e]++
		}
	}
	for _, e := range edgeOrder {
		fmt.Fprintf(w, "  %s [label=\"%d\"];\n", e, count[e])
	}
	w.WriteString("}\n")
	return nil
}

// WriteFile writes the DOT to path atomically: to a temporary file in the same directory,
// synced, then renamed. On any error no file is left at path or beside it.
func WriteFile(path string, b *graph.Builder, cfg Config) error {
	return atomicfile.Write(path, func(w io.Writer) error { return Write(w, b, cfg) })
}
