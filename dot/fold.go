package dot

import (
	"strconv"
	"strings"
	"unicode/utf8"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
)

// Folding draws the computation instead of gorgonia's plumbing. fold decides for every node
// whether it is drawn, which operands it is drawn with and what its label says:
//
//   - gorgonia's helpers of a broadcast are not drawn: SizeOf is hidden, Repeat and the Reshape
//     of a leaf are drawn as their operand, so a bias add reads the bias parameter itself;
//   - a product with a fixed 0/1 matrix that copies each input column to some output columns
//     (the LSTM's spreading of a block's gate to its cells) is drawn as its operand;
//   - a bias add absorbs the unlabelled sum or product it adds the bias to ("net_in = x(t)·wx +
//     y(t-1)·wh + b");
//   - a scale or shift by a constant absorbs the function or the scale before it, so a squashing
//     function is one node ("g(net_c) = 4σ(net_c) - 2").
//
// Labels are expressions in the operands' names: a parameter or input by the last part of its
// name, a node a layer annotated by its label (graph.Builder.Annotate), an unlabelled node by
// its own expression.

// Operator precedence of an expression, to parenthesise operands.
const (
	precSum = iota
	precProd
	precAtom
)

// expr is an expression and its precedence.
type expr struct {
	s    string
	prec int
}

// at returns the expression for use where precedence p is needed.
func (e expr) at(p int) string {
	if e.prec < p {
		return "(" + e.s + ")"
	}
	return e.s
}

// funcNames maps gorgonia's and graph's elementwise functions to their usual names.
var funcNames = map[string]string{
	"sigmoid": "σ", "tanh": "tanh", "exp": "exp", "ln": "log", "log": "log", "relu": "relu",
	"sqrt": "√", "abs": "abs", "softplus": "softplus", "log1p": "log1p", "expm1": "expm1",
	"softmax": "softmax", "logsoftmax": "logsoftmax", "cube": "cube", "inv": "1/",
}

// opName is a short name for an op: gorgonia's own strings carry flags ("+ false") and
// internals ("Softmax{-1, true}()").
func opName(op G.Op) string {
	if op == nil {
		return ""
	}
	return cleanOp(op.String())
}

// cleanOp is opName of an op's String.
func cleanOp(s string) string {
	s = strings.TrimSuffix(strings.TrimSuffix(s, " false"), " true")
	switch {
	case s == "A × B":
		return "matmul"
	case strings.HasPrefix(s, "Softmax{"):
		if strings.Contains(s, "true") {
			return "logsoftmax"
		}
		return "softmax"
	case strings.HasPrefix(s, "Concat("):
		return "concat"
	case strings.HasPrefix(s, "SizeOf"):
		return "size"
	case strings.HasPrefix(s, "Repeat"):
		return "broadcast"
	case strings.HasPrefix(s, "Reshape"):
		return "reshape"
	}
	return s
}

// isLeaf reports whether d is a parameter, an input or a fixed tensor.
func (d *dotNode) isLeaf() bool {
	return d.kind == graph.KindParam || d.kind == graph.KindInput || d.kind == graph.KindFixed
}

// rep is the node d is drawn as.
func (d *dotNode) rep() *dotNode {
	for d.alias != nil {
		d = d.alias
	}
	return d
}

// skip reports whether d is not drawn by itself.
func (d *dotNode) skip() bool { return d.hidden || d.alias != nil || d.merged != nil }

// constant returns the value of a scalar constant operand of d, if d has exactly one.
func (d *dotNode) constant(by map[*G.Node]*dotNode) (float64, bool) {
	if len(d.kids) != 2 {
		return 0, false
	}
	var v float64
	n := 0
	for _, k := range d.kids {
		if kd := by[k]; kd != nil && kd.kind == graph.KindConst {
			if f, ok := scalar(k); ok {
				v, n = f, n+1
			}
		}
	}
	return v, n == 1
}

// scalar returns the value of a scalar node.
func scalar(n *G.Node) (float64, bool) {
	if len(n.Shape()) != 0 || n.Value() == nil {
		return 0, false
	}
	switch v := n.Value().Data().(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	}
	return 0, false
}

// isScaleShift reports whether d multiplies or shifts its operand by a scalar constant.
func (d *dotNode) isScaleShift(by map[*G.Node]*dotNode) bool {
	_, ok := d.constant(by)
	return ok && (d.name == "⊙" || d.name == "+" || d.name == "-")
}

// isSpread reports whether d is a product x·E with a fixed 0/1 matrix E whose every column has
// exactly one 1: it copies the columns of x, drawn as x itself.
func (d *dotNode) isSpread(by map[*G.Node]*dotNode) bool {
	if d.name != "matmul" || len(d.kids) != 2 {
		return false
	}
	e := by[d.kids[1]]
	if e == nil || e.kind != graph.KindFixed {
		return false
	}
	t, ok := d.kids[1].Value().(*tensor.Dense)
	if !ok || len(t.Shape()) != 2 {
		return false
	}
	rows, cols := t.Shape()[0], t.Shape()[1]
	var at func(i int) float64
	switch v := t.Data().(type) {
	case []float64:
		at = func(i int) float64 { return v[i] }
	case []float32:
		at = func(i int) float64 { return float64(v[i]) }
	default:
		return false
	}
	for c := 0; c < cols; c++ {
		ones := 0
		for r := 0; r < rows; r++ {
			switch at(r*cols + c) {
			case 1:
				ones++
			case 0:
			default:
				return false
			}
		}
		if ones != 1 {
			return false
		}
	}
	return true
}

// isBiasAdd reports whether d adds a broadcast parameter (a bias) to p.
func (d *dotNode) isBiasAdd(p *dotNode, by map[*G.Node]*dotNode) bool {
	if d.name != "+" || len(d.kids) != 2 {
		return false
	}
	for _, k := range d.kids {
		kd := by[k]
		if kd != nil && kd != p && kd.name == "broadcast" && kd.rep().kind == graph.KindParam {
			return true
		}
	}
	return false
}

// builderLabel reports whether d's label is the one graph.Builder gives a scale or shift
// ("×4", "+-2"), which a layer did not replace.
func (d *dotNode) builderLabel(by map[*G.Node]*dotNode) bool {
	c, ok := d.constant(by)
	if !ok {
		return false
	}
	f := strconv.FormatFloat(c, 'g', -1, 64)
	return d.note.Label == "×"+f || d.note.Label == "+"+f
}

// mergeable reports whether p, an operand of d used by d only, is drawn inside d.
func mergeable(p, d *dotNode, by map[*G.Node]*dotNode) bool {
	if p.kind != graph.KindOp || p.skip() || p.ext || strings.Join(p.scope, "/") != strings.Join(d.scope, "/") {
		return false
	}
	switch {
	case d.isScaleShift(by):
		_, fn := funcNames[p.name]
		return (fn || p.isScaleShift(by)) && (p.note.Label == "" || p.builderLabel(by))
	case d.isBiasAdd(p, by):
		return p.note.Label == "" && (p.name == "+" || p.name == "matmul")
	}
	return false
}

// fold sets, for every node, whether it is drawn (hidden, alias, merged), the operands it is
// drawn with (ops) and its expression. Gradient nodes and constants count as users of a node
// only when they are drawn (gradients). in says which nodes the view draws: a parameter that
// only one of them uses is named in its label instead of drawn.
func fold(nodes []*dotNode, by map[*G.Node]*dotNode, gradients bool, in func(*dotNode) bool) {
	for _, d := range nodes {
		if d.ext || d.isLeaf() || d.kind == graph.KindConst || len(d.kids) == 0 {
			continue
		}
		first := by[d.kids[0]]
		switch {
		case d.name == "size":
			d.hidden = true
		case first == nil || d.note.Label != "":
		case d.name == "broadcast", d.name == "reshape" && first.rep().isLeaf(), d.isSpread(by):
			d.alias = first.rep()
		}
	}
	for _, d := range nodes {
		d.ops = d.ops[:0]
		for _, k := range d.kids {
			if kd := by[k]; kd != nil && !kd.hidden {
				d.ops = appendOnce(d.ops, kd.rep())
			}
		}
	}
	users := map[*dotNode]int{}
	for _, d := range nodes {
		if d.skip() || !gradients && (d.kind == graph.KindGrad || d.kind == graph.KindConst) {
			continue
		}
		for _, o := range d.ops {
			users[o]++
		}
	}
	for _, d := range nodes {
		if d.kind == graph.KindFixed && users[d] == 0 {
			d.hidden = true // read only by the nodes drawn as their operands (a spreading matrix)
		}
	}
	for _, d := range nodes {
		if d.kind != graph.KindOp || d.skip() || d.ext {
			continue
		}
		var ops []*dotNode
		for _, p := range d.ops {
			if users[p] == 1 && mergeable(p, d, by) {
				p.merged = d
				d.absorbed = append(d.absorbed, p.absorbed...)
				d.absorbed = append(d.absorbed, p)
				for _, o := range p.ops {
					ops = appendOnce(ops, o)
				}
				continue
			}
			ops = appendOnce(ops, p)
		}
		d.ops = ops
	}
	for _, d := range nodes {
		if !d.hidden && d.alias == nil {
			d.expr, d.known = d.expression(by)
			d.plainNote = d.builderLabel(by)
		}
	}
	// A parameter with one drawn user whose expression names it is drawn in that user's label.
	drawnUsers := map[*dotNode]int{}
	for _, d := range nodes {
		if !d.skip() && in(d) {
			for _, o := range d.ops {
				drawnUsers[o]++
			}
		}
	}
	for _, d := range nodes {
		if d.skip() || d.kind != graph.KindOp || !d.known || !in(d) {
			continue
		}
		var ops []*dotNode
		for _, p := range d.ops {
			if p.kind == graph.KindParam && drawnUsers[p] == 1 {
				p.merged = d
				continue
			}
			ops = append(ops, p)
		}
		d.ops = ops
	}
}

func appendOnce(s []*dotNode, d *dotNode) []*dotNode {
	for _, x := range s {
		if x == d {
			return s
		}
	}
	return append(s, d)
}

// sym is how d is named as an operand of another node.
func (d *dotNode) sym() expr {
	switch {
	case d.isLeaf():
		if l := d.note.Label; l != "" && !strings.Contains(l, " ") {
			return expr{l, precAtom}
		}
		segs := splitPath(d.n.Name())
		last := segs[len(segs)-1]
		if len(segs) > 1 && stepOf([]string{last}) >= 0 {
			return expr{segs[len(segs)-2] + "(t)", precAtom}
		}
		return expr{last, precAtom}
	case d.kind == graph.KindConst:
		if v, ok := scalar(d.n); ok {
			return expr{strconv.FormatFloat(v, 'g', 4, 64), precAtom}
		}
		return expr{"const", precAtom}
	case d.note.Label != "":
		l := d.note.Label
		if i := strings.Index(l, " = "); i >= 0 {
			l = l[:i]
		}
		if d.note.Role == graph.RoleStopGradient {
			l = strings.TrimPrefix(l, "truncate ")
		}
		if strings.Contains(l, " ") {
			return expr{l, precProd}
		}
		return expr{l, precAtom}
	case d.known && utf8.RuneCountInString(d.expr.s) <= 28:
		return d.expr
	}
	return expr{d.name, precAtom}
}

// expression returns d's expression in its operands' names, and whether d's op is one whose
// expression says more than its name.
func (d *dotNode) expression(by map[*G.Node]*dotNode) (expr, bool) {
	var args []expr
	var consts []float64
	for _, k := range d.kids {
		kd := by[k]
		if kd == nil || kd.hidden {
			continue
		}
		r := kd.rep()
		switch {
		case r.merged == d && !r.isLeaf():
			args = append(args, r.expr)
		case r.kind == graph.KindConst && len(d.kids) == 2:
			if v, ok := scalar(k); ok {
				consts = append(consts, v)
				continue
			}
			args = append(args, r.sym())
		case r.step >= 0 && d.step >= 0 && r.step != d.step: // the state of another step: s(t-1)
			args = append(args, expr{relative(r, d.step), precAtom})
		default:
			args = append(args, r.sym())
		}
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
	if len(args) == 1 && len(consts) == 1 {
		a, c := args[0], consts[0]
		switch d.name {
		case "⊙":
			if a.prec == precAtom {
				return expr{num(c) + a.s, precProd}, true
			}
			return expr{num(c) + "·" + a.at(precAtom), precProd}, true
		case "+":
			if c < 0 {
				return expr{a.s + " - " + num(-c), precSum}, true
			}
			return expr{a.s + " + " + num(c), precSum}, true
		case "-":
			return expr{a.s + " - " + num(c), precSum}, true
		}
	}
	if f, ok := funcNames[d.name]; ok && len(args) == 1 {
		return expr{f + "(" + args[0].s + ")", precAtom}, true
	}
	switch {
	case d.name == "matmul" && len(args) == 2:
		return expr{args[0].at(precProd) + "·" + args[1].at(precAtom), precProd}, true
	case d.name == "⊙" && len(args) == 2:
		return expr{args[0].at(precProd) + " · " + args[1].at(precAtom), precProd}, true
	case d.name == "÷" && len(args) == 2:
		return expr{args[0].at(precProd) + " / " + args[1].at(precAtom), precProd}, true
	case d.name == "+" && len(args) >= 2:
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = a.s
		}
		return expr{strings.Join(parts, " + "), precSum}, true
	case d.name == "-" && len(args) == 2:
		return expr{args[0].s + " - " + args[1].at(precProd), precSum}, true
	case d.name == "neg" && len(args) == 1:
		return expr{"-" + args[0].at(precAtom), precSum}, true
	case d.name == "square" && len(args) == 1:
		return expr{args[0].at(precAtom) + "²", precAtom}, true
	case strings.HasPrefix(d.name, "Σ") && len(args) == 1:
		return expr{"Σ " + args[0].at(precAtom), precProd}, true
	case d.name == "concat" && len(args) >= 2:
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = a.s
		}
		return expr{"[" + strings.Join(parts, ", ") + "]", precAtom}, true
	}
	return expr{d.name, precAtom}, false
}

// shapeText writes a shape compactly: "[1,4]"; "" for a scalar.
func shapeText(s tensor.Shape) string {
	if len(s) == 0 {
		return ""
	}
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// text returns the lines of d's label, without values.
func (d *dotNode) text() []string {
	var lines []string
	switch {
	case d.isLeaf():
		lines = append(lines, d.n.Name())
		if d.note.Label != "" {
			lines = append(lines, d.note.Label)
		}
	case d.kind == graph.KindConst:
		lines = append(lines, d.sym().s)
	case d.ext:
		l := d.name
		if d.note.Label != "" {
			l = d.note.Label
		}
		if len(d.scope) > 0 {
			l = strings.Join(d.scope, "/") + ": " + l
		}
		lines = append(lines, l)
	default:
		l := d.note.Label
		if d.plainNote {
			l = ""
		}
		switch {
		case l == "":
			l = d.expr.s
		case d.known && d.expr.s != l && !strings.Contains(l, "="):
			l += " = " + d.expr.s
		}
		lines = append(lines, l)
	}
	var products []string // the shapes of the products drawn in this node: "[1,2]×[2,4]"
	for _, a := range append(d.absorbed, d) {
		if a.name == "matmul" && len(a.kids) == 2 {
			products = append(products, shapeText(a.kids[0].Shape())+"×"+shapeText(a.kids[1].Shape()))
		}
	}
	if len(products) > 0 {
		lines = append(lines, strings.Join(products, " + "))
	} else if s := shapeText(d.n.Shape()); s != "" {
		lines = append(lines, s)
	}
	return lines
}
