"""Planning and running a publish: assets, uploads, the manifest, the lock and lease, feed state."""
