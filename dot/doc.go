// Package dot draws graphs built with a graph.Builder in graphviz's DOT language.
//
// The output depends only on the graph: node IDs are positions in the graph and clusters are
// ordered by first appearance, so the same graph gives byte-identical DOT. Clusters come from
// the builder's hierarchical names (layer, time step, gate); gradient nodes are hidden unless
// Config.Gradients is set. The paper's truncation is drawn red and dashed ("error stops"), and
// the cell-state path s(t-1) -> s(t), the constant error carousel and the only path that
// carries error back in time, bold blue.
//
// Views keep large graphs readable: ViewStep (one time step: the memory cell of the paper's
// Fig. 1), ViewSteps (the first k steps, later ones collapsed: Fig. 2 unfolded in time),
// ViewSummary (one box per layer) and ViewFull.
//
// The model a user trains has its LSTM as one fused node per layer (layers' Cell.Sequence, the
// default of layers.Net). ViewStep draws it as the step that node computes: the fused op
// builds that step from ordinary nodes in a separate drawing graph (graph.Unfolder), reading
// x(t) and the previous step's state s(t-1), y(t-1); what reads the layer from outside (the
// output units) is drawn dashed beside it. The drawing is the one of the same model built
// unrolled.
//
// Nodes are labelled by their role, as expressions in their operands' names ("net_c = x(t)·wx +
// y(t-1)·wh + b", "g(net_c) = 4σ(net_c) - 2", "x(t)·wx" with its shapes "[1,2]×[2,4]"), using
// the labels layers give their nodes (graph.Builder.Annotate). gorgonia's helper nodes are
// folded into the operation they serve: the SizeOf and Repeat of a broadcast bias, the scale
// and shift of a squashing function, the 0/1 matrix that spreads a block's gate to its cells;
// a parameter that one drawn operation uses is named in that operation's label. In the step
// view, layers that feed one another are drawn side by side, so that the paper's nets fit a
// screen: about 900x850 pixels for one layer (Exps. 1 and 2), 1750x910 for two stacked layers,
// at graphviz's default 96 dpi.
//
// gorgonia's own ExprGraph.ToDot uses pointer addresses as IDs and unquoted group names; this
// package exists so that the DOT of a model can be diffed, reviewed and rendered.
package dot
