package graph

import (
	"strings"

	G "gorgonia.org/gorgonia"
)

// NodeKind says how a node of a built graph came to be.
type NodeKind int

const (
	// KindOp is an operation node made by the builder (or by gorgonia inside one of its
	// operations).
	KindOp NodeKind = iota
	// KindParam is a parameter (Builder.Param).
	KindParam
	// KindInput is an input (Builder.Input), or a leaf made outside the builder.
	KindInput
	// KindFixed is a constant tensor made by Builder.Fixed.
	KindFixed
	// KindConst is a scalar constant without children, such as the ones gorgonia adds.
	KindConst
	// KindGrad is a node that differentiation added.
	KindGrad
)

// NodeInfo is what the builder knows about one node of its graph.
type NodeInfo struct {
	Node *G.Node
	Kind NodeKind
	// Scope is the builder path the node was made in ("lstm0/t3"), "" for the root.
	Scope string
	// Note is what a layer said about the node (Annotate).
	Note Note
	// Children are the node's operands, in order.
	Children []*G.Node
}

// Inspect returns every node of the builder's graph, in the graph's order (which depends only
// on the order the graph was built in, so it is a stable ID), with its kind, scope and note.
// Drawing (package dot) and debugging tools read the graph through it.
func (b *Builder) Inspect() []NodeInfo {
	if b == nil || b.s == nil || b.s.g == nil {
		return nil
	}
	g := b.s.g
	params, inputs := map[*G.Node]bool{}, map[*G.Node]bool{}
	for _, p := range b.s.params {
		params[p] = true
	}
	for _, p := range b.s.inputs {
		inputs[p] = true
	}
	all := g.AllNodes()
	out := make([]NodeInfo, len(all))
	for i, n := range all {
		d := NodeInfo{Node: n, Note: b.s.notes[n.ID()], Scope: b.s.scope[n.ID()], Children: Children(g, n)}
		desc, built := b.s.made[n.ID()]
		switch {
		case params[n]:
			d.Kind = KindParam
		case inputs[n]:
			d.Kind = KindInput
		case built && strings.HasPrefix(desc, "fixed:"):
			d.Kind = KindFixed
		case n.Op() == nil:
			d.Kind = KindInput // a leaf made outside the builder
		case built || b.s.inner[n.ID()] && len(d.Children) > 0:
			d.Kind = KindOp
		default:
			d.Kind = KindGrad
		}
		if d.Kind != KindParam && d.Kind != KindInput && d.Kind != KindFixed && len(d.Children) == 0 {
			d.Kind = KindConst // drawn only with gradients
		}
		out[i] = d
	}
	return out
}

// Children returns the operands of n in g, in order (gorgonia's g.From), or nil for a node
// without any.
func Children(g *G.ExprGraph, n *G.Node) []*G.Node {
	it := g.From(n.ID())
	if it == nil {
		return nil
	}
	var out []*G.Node
	for it.Next() {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}
