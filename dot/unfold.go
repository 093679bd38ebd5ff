package dot

import (
	"strconv"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
)

// unfold draws one time step of a model whose sequences are computed by fused nodes
// (graph.Unfolder, such as layers' Cell.Sequence): it builds step step of every fused node, in
// the model's order, into a new graph from ordinary nodes, as the unrolled model would build
// it. A fused node that reads another one reads that node's step; one that reads anything else
// reads a new input named after it ("x/t<step>"). The nodes of the model that read a fused node
// from outside its scope (an output layer, say) are returned as extra nodes, drawn outside the
// step and reading the step's output. It returns a nil builder if the model has no fused node.
func unfold(b *graph.Builder, step int) (*graph.Builder, []*dotNode, error) {
	infos := b.Inspect()
	db := graph.NewBuilder(graph.Config{Dtype: b.Dtype()})
	out := map[*G.Node]*G.Node{} // fused node -> its step in db
	ins := map[*G.Node]*G.Node{} // node read by a fused node -> the step input made for it
	scopeOf := map[*G.Node]string{}
	for _, info := range infos {
		u, ok := info.Node.Op().(graph.Unfolder)
		if !ok || info.Kind != graph.KindOp || len(info.Children) == 0 {
			continue
		}
		ui := u.Unfold()
		if step < 0 || step >= ui.Steps {
			return nil, nil, errors.Errorf("dot: view asks for step %d, %v has steps 0..%d", step, info.Node.Op(), ui.Steps-1)
		}
		in := info.Children[0]
		x, ok := out[in]
		if !ok {
			if x, ok = ins[in]; !ok {
				x = stepInput(db, in, info, ui, step)
				ins[in] = x
			}
		}
		if x == nil {
			return nil, nil, errors.Wrapf(db.Err(), "dot: step %d of %v: input", step, info.Node.Op())
		}
		if sh := x.Shape(); len(sh) != 2 || sh[0] != ui.Batch || sh[1] != ui.Width {
			return nil, nil, errors.Errorf("dot: step %d of %v: its input %q is %v a step, the op wants [%d, %d]", step, info.Node.Op(), in.Name(), sh, ui.Batch, ui.Width)
		}
		y, err := u.UnfoldStep(db, x, step)
		if err != nil {
			return nil, nil, errors.Wrapf(err, "dot: step %d of %v", step, info.Node.Op())
		}
		if y == nil {
			return nil, nil, errors.Errorf("dot: step %d of %v: no output node", step, info.Node.Op())
		}
		out[info.Node] = y
		scopeOf[info.Node] = info.Scope
	}
	if len(out) == 0 {
		return nil, nil, nil
	}
	if err := db.Err(); err != nil {
		return nil, nil, errors.Wrapf(err, "dot: step %d", step)
	}
	var extras []*dotNode
	for _, info := range infos {
		if _, fused := out[info.Node]; fused || info.Kind != graph.KindOp {
			continue
		}
		var kids []*G.Node
		for _, k := range info.Children {
			if y, ok := out[k]; ok && topScope(scopeOf[k]) != topScope(info.Scope) {
				kids = append(kids, y)
			}
		}
		if len(kids) > 0 {
			extras = append(extras, &dotNode{n: info.Node, kind: graph.KindOp, scope: splitPath(info.Scope), step: -1,
				note: info.Note, kids: kids, ext: true, name: opName(info.Node.Op())})
		}
	}
	return db, extras, nil
}

// stepInput makes the input of one step of a fused node (info) that reads in: "<name>/t<step>"
// for an input or parameter in, else "<scope of info>/in/t<step>".
func stepInput(db *graph.Builder, in *G.Node, info graph.NodeInfo, ui graph.UnfoldInfo, step int) *G.Node {
	path := in.Name()
	if in.Op() != nil || checkPath(path) != nil {
		path = strings.TrimPrefix(info.Scope+"/in", "/")
	}
	segs := splitPath(path)
	sb := db
	for _, s := range segs[:len(segs)-1] {
		sb = sb.Scope(s)
	}
	x := sb.Scope(segs[len(segs)-1]).Input("t"+strconv.Itoa(step), ui.Batch, ui.Width)
	if ui.Label != "" {
		db.Annotate(x, ui.Label, graph.RoleNone)
	}
	return x
}

// checkPath reports whether p is a path of names the builder accepts.
func checkPath(p string) error {
	if p == "" {
		return errors.New("empty")
	}
	for _, s := range strings.Split(p, "/") {
		if s == "" || strings.ContainsAny(s, " \"") {
			return errors.Errorf("name %q", p)
		}
		for _, r := range s {
			if r <= ' ' || r > '~' {
				return errors.Errorf("name %q", p)
			}
		}
	}
	return nil
}

func topScope(s string) string {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}
