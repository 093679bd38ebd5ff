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
	"github.com/lstm97/lstm97/graph/vm"
)

// ViewKind selects what Write draws.
type ViewKind int

const (
	// ViewFull draws every node (gradient nodes only with Config.Gradients).
	ViewFull ViewKind = iota
	// ViewStep draws the nodes of one time step (Config.Step), with the state they read from
	// the step before (dashed, named relative to the step: s(t-1)) and their parameters: for
	// an LSTM, the memory cell diagram of the paper's Fig. 1. A model without per-step nodes
	// whose LSTM is fused (Cell.Sequence) is drawn as that step built unrolled
	// (graph.Unfolder).
	ViewStep
	// ViewSteps draws the first Config.Steps time steps and collapses the later ones into
	// one box per layer (the paper's Fig. 2, unfolded in time). It needs per-step nodes (a
	// model built unrolled).
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
	// Gradients also draws the nodes that differentiation added (hidden by default). The
	// step of a fused model has none.
	Gradients bool
	// Values, if set, adds up to four values of each node from the program's last run. The
	// step of a fused model is drawn without values: the program computed the fused node.
	Values *vm.Program
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
	kids  []*G.Node // operands, in order
	name  string    // short op name (opName)
	ext   bool      // a node of the model outside a fused model's step, drawn outside it

	// Set by fold.
	hidden bool       // a helper node that is not drawn
	alias  *dotNode   // drawn as this node (a broadcast of it)
	merged *dotNode   // drawn inside this node, its only user
	ops    []*dotNode // the operands it is drawn with
	// absorbed are the nodes merged into it, in graph order.
	absorbed []*dotNode
	expr     expr
	known    bool // expr is an expression, not just the op's name
	// plainNote: the note is graph.Builder's label of a scale or shift ("×4"), which the
	// expression says too.
	plainNote bool
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
		d := &dotNode{n: info.Node, idx: i, kind: info.Kind, note: info.Note, kids: info.Children, scope: splitPath(info.Scope), name: opName(info.Node.Op())}
		stepSegs := d.scope
		if d.isLeaf() {
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
// in bold blue. gorgonia's helper nodes are folded into the operations they serve (see fold).
//
// ViewStep of a model whose sequences are fused nodes (layers' Cell.Sequence, the default
// layers.Net) draws the step built from ordinary nodes by the fused op (graph.Unfolder), as
// the unrolled model would have it; the other views draw the fused node as one node.
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
	if cfg.View == ViewStep && maxStep < 0 {
		db, extras, err := unfold(b, cfg.Step)
		if err != nil {
			return err
		}
		if db == nil {
			return errors.New("dot: the graph has no time steps and no fused sequence node to draw a step of")
		}
		nodes, by = classify(db)
		for i, e := range extras {
			e.idx = len(nodes) + i
			by[e.n] = e
		}
		nodes = append(nodes, extras...)
		maxStep = cfg.Step
		cfg.Values = nil // the program computed the fused node, not these
	}
	shown := func(d *dotNode) bool { return cfg.Gradients || d.kind != graph.KindGrad && d.kind != graph.KindConst }
	var in func(*dotNode) bool
	var collapse func(*dotNode) (string, bool)
	switch cfg.View {
	case ViewFull, ViewSummary:
		in = shown
	case ViewStep:
		if cfg.Step < 0 || cfg.Step > maxStep {
			return errors.Errorf("dot: view asks for step %d, the graph has steps 0..%d", cfg.Step, maxStep)
		}
		in = func(d *dotNode) bool { return (d.step == cfg.Step || d.ext) && shown(d) }
	case ViewSteps:
		if maxStep < 0 {
			return errors.New("dot: the graph has no time steps (a fused sequence has none: ViewStep draws one step of it, ViewSteps needs the model built unrolled)")
		}
		if cfg.Steps < 1 || cfg.Steps > maxStep+1 {
			return errors.Errorf("dot: view asks for %d steps, the graph has %d", cfg.Steps, maxStep+1)
		}
		in = func(d *dotNode) bool { return d.step < cfg.Steps && shown(d) }
		collapse = func(d *dotNode) (string, bool) {
			if d.step < cfg.Steps || !shown(d) {
				return "", false
			}
			return collapsedKey(d), true
		}
	default:
		return errors.Errorf("dot: unknown view %d", cfg.View)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if cfg.View == ViewSummary {
		writeSummary(bw, cfg, nodes, by)
	} else {
		fold(nodes, by, cfg.Gradients, in)
		writeNodes(bw, cfg, nodes, in, collapse)
	}
	return errors.Wrap(bw.Flush(), "dot: write")
}

// collapsedKey names the box a collapsed node goes into: its path up to the step segment.
func collapsedKey(d *dotNode) string {
	segs := d.scope
	if d.isLeaf() {
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

// label returns d's label: its text (see fold) and, with values, up to four of its values.
func (d *dotNode) label(values *vm.Program) string {
	lines := d.text()
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

// attrNames fixes the order in which node attributes are written.
var attrNames = []string{"shape", "style", "color", "fontcolor", "fillcolor", "penwidth"}

// attrs styles d; external marks a node of another time step or outside a fused model's step.
func (d *dotNode) attrs(values *vm.Program, external bool) string {
	a := map[string]string{"shape": "box", "style": "rounded"}
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
		a["shape"], a["color"], a["penwidth"], a["style"], a["fillcolor"] = "box", "blue", "2", `"rounded,filled"`, `"#e3ecff"`
	}
	if external {
		a["style"], a["color"], a["fontcolor"] = "dashed", "gray50", "gray40"
		if d.note.Role == graph.RoleCellState {
			a["style"], a["color"] = `"rounded,dashed"`, "blue"
		}
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

func (c *cluster) at(path []string) *cluster {
	for _, s := range path {
		c = c.child(s)
	}
	return c
}

// relative names d, a node of another step, relative to step: "s(t-1)" for the node s(t) of
// step-1.
func relative(d *dotNode, step int) string {
	s := d.sym().s
	switch {
	case d.step != step-1:
		return s + " (t=" + strconv.Itoa(d.step) + ")"
	case strings.Contains(s, "(t-1)"):
		return s
	case strings.Contains(s, "(t)"):
		return strings.Replace(s, "(t)", "(t-1)", 1)
	}
	return s + "(t-1)"
}

// topOf is the top-level scope of d.
func topOf(d *dotNode) string {
	if len(d.scope) == 0 {
		return ""
	}
	return d.scope[0]
}

// flatten moves the node of every cluster that holds nothing else into its parent.
func (c *cluster) flatten() {
	for _, k := range c.kids {
		k.flatten()
	}
	kids := c.kids[:0]
	for _, k := range c.kids {
		if len(k.kids) == 0 && len(k.lines) == 1 {
			c.lines = append(c.lines, k.lines...)
			continue
		}
		kids = append(kids, k)
	}
	c.kids = kids
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
	fmt.Fprintf(w, "digraph %s {\n", quote(cfg.Name))
	if cfg.View == ViewStep {
		fmt.Fprintf(w, "  label=%s;\n  labelloc=t;\n", quote(fmt.Sprintf("%s, step t = %d", cfg.Name, cfg.Step)))
	}
	w.WriteString("  rankdir=TB;\n  newrank=true;\n  nodesep=0.15;\n  ranksep=0.3;\n")
	w.WriteString("  node [fontname=\"Helvetica\", fontsize=10, margin=\"0.06,0.03\", height=0.3];\n  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.6];\n")
}

// writeNodes writes the nodes for which in is true inside their scope clusters, the operands
// they read that are not in (parameters in the cluster of their users, nodes of other steps
// dashed, outside the clusters) and, if collapse is set, one box per key for the nodes it
// collapses. Folded nodes (fold) are drawn as the node they are folded into.
func writeNodes(w *bufio.Writer, cfg Config, nodes []*dotNode, in func(*dotNode) bool, collapse func(*dotNode) (string, bool)) {
	header(w, cfg)
	root := &cluster{byKey: map[string]*cluster{}}
	// path is the cluster of a drawn node; the step view leaves out the step, which is all.
	path := func(d *dotNode) []string {
		if cfg.View != ViewStep {
			return d.scope
		}
		var p []string
		for _, s := range d.scope {
			if stepOf([]string{s}) < 0 {
				p = append(p, s)
			}
		}
		return p
	}
	drawn := map[*dotNode]bool{}
	isIn := func(d *dotNode) bool { return !d.skip() && in(d) }
	boxes := map[string]string{} // collapse key -> box ID
	boxCount := map[string]int{}
	var boxOrder []string
	boxOf := func(d *dotNode) (string, bool) {
		if collapse == nil || d.skip() {
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
	// home is the cluster of an operand that is not in: the cluster of its users if it is a
	// parameter or fixed tensor that all its drawn users share, else the root.
	home := map[*dotNode]string{}
	for _, d := range nodes {
		if !isIn(d) {
			continue
		}
		for _, o := range d.ops {
			if isIn(o) {
				continue
			}
			p := strings.Join(path(d), "/")
			if h, ok := home[o]; ok && h != p {
				p = ""
			}
			home[o] = p
		}
	}
	place := func(d *dotNode, external bool) {
		c := root
		switch {
		case !external && !d.ext:
			c = root.at(path(d))
		case (d.kind == graph.KindParam || d.kind == graph.KindFixed) && d.step < 0:
			c, external = root.at(splitPath(home[d])), false
		case cfg.View == ViewStep && d.step >= 0:
			c = root.at(path(d)) // another step of the layer (its state): with the layer
		}
		attrs := d.attrs(cfg.Values, external || d.ext)
		if external && cfg.View == ViewStep && d.step >= 0 {
			// The state of another step, named relative to the step drawn: s(t-1).
			attrs = attrs[:strings.Index(attrs, "label=")] + "label=" + quote(relative(d, cfg.Step)+"\n"+shapeText(d.n.Shape()))
		}
		c.lines = append(c.lines, d.id()+" ["+attrs+"];")
		drawn[d] = true
	}
	for _, d := range nodes {
		if isIn(d) {
			place(d, false)
		} else if box, ok := boxOf(d); ok {
			boxCount[box]++
		}
	}
	var edges []string
	var side [][2]string // layers drawn side by side: the first left of the second
	seenEdge := map[string]bool{}
	for _, d := range nodes {
		if d.skip() {
			continue
		}
		cid, cIn := d.id(), drawn[d]
		if !cIn {
			box, ok := boxOf(d)
			if !ok {
				continue
			}
			cid = box
		}
		for _, kd := range d.ops {
			src := kd.id()
			if !drawn[kd] {
				if box, ok := boxOf(kd); ok {
					src = box
				} else if cIn && (cfg.Gradients || kd.kind != graph.KindGrad && kd.kind != graph.KindConst) {
					place(kd, true) // an operand from elsewhere
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
				if cfg.View == ViewStep && attrs == "" && kd.kind == graph.KindOp && !kd.ext && !d.ext && topOf(kd) != topOf(d) {
					// One layer feeding another in the same step: drawn side by side, not
					// stacked, so the step stays about as high as one layer.
					attrs = " [constraint=false]"
					side = appendPair(side, [2]string{topOf(kd), topOf(d)})
				}
			}
			edges = append(edges, "  "+e+attrs+";")
		}
	}
	counter := 0
	root.flatten()
	root.write(w, 1, &counter)
	for _, k := range boxOrder {
		fmt.Fprintf(w, "  %s [shape=box3d, style=filled, fillcolor=gray92, label=%s];\n", boxes[k], quote(fmt.Sprintf("%s: later steps\n(%d nodes collapsed)", k, boxCount[boxes[k]])))
	}
	for _, e := range edges {
		w.WriteString(e)
		w.WriteByte('\n')
	}
	if len(side) > 0 {
		first := map[string]*dotNode{} // the first operation drawn of each layer
		for _, d := range nodes {
			if drawn[d] && d.kind == graph.KindOp && !d.ext && first[topOf(d)] == nil && d.step == cfg.Step {
				first[topOf(d)] = d
			}
		}
		for _, p := range side {
			if a, b := first[p[0]], first[p[1]]; a != nil && b != nil {
				fmt.Fprintf(w, "  {rank=same; %s -> %s [style=invis];}\n", a.id(), b.id())
			}
		}
	}
	w.WriteString("}\n")
}

func appendPair(s [][2]string, p [2]string) [][2]string {
	for _, x := range s {
		if x == p {
			return s
		}
	}
	return append(s, p)
}

// writeSummary draws one box per top-level scope.
func writeSummary(w *bufio.Writer, cfg Config, nodes []*dotNode, by map[*G.Node]*dotNode) {
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
}

// WriteFile writes the DOT to path atomically: to a temporary file in the same directory,
// synced, then renamed. On any error no file is left at path or beside it.
func WriteFile(path string, b *graph.Builder, cfg Config) error {
	return atomicfile.Write(path, func(w io.Writer) error { return Write(w, b, cfg) })
}
