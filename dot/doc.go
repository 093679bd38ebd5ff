// Package dot draws graphs built with a graph.Builder in graphviz's DOT language.
//
// The output depends only on the graph: node IDs are positions in the graph and clusters are
// ordered by first appearance, so the same graph gives byte-identical DOT. Clusters come from
// the builder's hierarchical names (layer, time step, gate); parameters and inputs are drawn
// apart from operations; gradient nodes are hidden unless Config.Gradients is set. The paper's
// truncation is drawn red and dashed ("error stops"), and the cell-state path s(t-1) -> s(t),
// the constant error carousel and the only path that carries error back in time, bold blue.
//
// Views keep large graphs readable: ViewStep (one time step: the memory cell of the paper's
// Fig. 1), ViewSteps (the first k steps, later ones collapsed: Fig. 2 unfolded in time),
// ViewSummary (one box per layer) and ViewFull.
//
// gorgonia's own ExprGraph.ToDot uses pointer addresses as IDs and unquoted group names; this
// package exists so that the DOT of a model can be diffed, reviewed and rendered.
package dot
