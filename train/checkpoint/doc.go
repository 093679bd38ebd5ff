// Package checkpoint saves and resumes training: a trained model in one call, a training run
// every N sequences with its random sources, and the file format under both.
//
// It has these parts:
//
//   - Save, Load and LoadConfig: a train.Trainer (its parameters, its optimizer's state, its
//     sequence count, the state it carries from batch to batch for a stream in chunks, and a
//     batch shape it has built its model for) with the script's
//     configuration, saved in one call and loaded into a fresh trainer of the same model without
//     a batch; LoadConfig reads the configuration alone, to build that model first. A checkpoint
//     that does not fit the model is refused with an error naming the parameter and both shapes.
//   - Policy (with State): a run's checkpoints. Policy.Restore resumes a run from the checkpoint
//     in Policy.Dir (the trainer, the optimizer, the random sources and any extra state, bit for
//     bit, after checking the run's configuration); Policy.Hook saves every Policy.Every
//     sequences and returns ErrInterrupted once SIGINT or SIGTERM arrives (or Policy.Context is
//     done), after which the script saves a last checkpoint with Policy.Save. Optimizers that
//     wrap others (Wrapper) are looked through for the state to keep (StatefulOf).
//   - The format: the parameters and the optimizer's slots as NumPy arrays in an .npz file
//     (readable without Go: np.load(f)["lstm/cell/wx"]), and a JSON manifest with the sequence
//     count, the parameters' names, shapes and dtypes, the .npz file's SHA-256, a batch shape the
//     model was built for, the random sources' states, the run's configuration and any extra
//     state. WriteData and ReadData write and read a Data; both files are written atomically,
//     the manifest last, so a crash leaves the previous checkpoint or the new one; on reading, a
//     truncated or corrupted file is refused with a message saying which, and every array is
//     checked against the manifest and for finite values. SaveParams and LoadParams keep a
//     graph.ParamSet alone, for a user of package graph without a trainer.
//
// Package train is the training loop; this package builds on it (train does not import it).
package checkpoint
