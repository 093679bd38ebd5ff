package checkpoint

// FailBeforeManifest makes WriteData fail with err after writing the data file and before writing
// the manifest, until the returned function restores it.
func FailBeforeManifest(err error) (restore func()) {
	old := beforeManifest
	beforeManifest = func() error { return err }
	return func() { beforeManifest = old }
}
