package keystore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// createFile writes data to dir/name, mode 0600, atomically and without
// replacing an existing file: a reader sees no file or the whole file, a
// crash leaves at most a hidden temporary file, and two writers racing for
// one name cannot both win (ErrExists for the loser).
func createFile(dir, name string, data []byte) (err error) {
	// Hidden, so that List skips it if a crash leaves it behind.
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmpName := tmp.Name()
	// Once linked, the temporary name is only a second link to the file.
	defer os.Remove(tmpName)
	if err := writeSynced(tmp, data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	final := filepath.Join(dir, name)
	// A hard link, unlike a rename, fails if the target exists, so the
	// check for an existing key and the creation are one atomic step.
	if err := os.Link(tmpName, final); errors.Is(err, fs.ErrExist) {
		return ErrExists
	} else if err != nil {
		// A file system without hard links: check, then rename. Two
		// writers racing for one name here could both succeed, the
		// later replacing the earlier; that needs two simultaneous
		// "keys new" of one name, on such a file system.
		if _, serr := os.Lstat(final); serr == nil {
			return ErrExists
		}
		if rerr := os.Rename(tmpName, final); rerr != nil {
			return fmt.Errorf("write %s: link: %v; rename: %w", name, err, rerr)
		}
	}
	// The new directory entry must reach the disk too, or a crash could
	// lose a key the user was told exists.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func writeSynced(f *os.File, data []byte) error {
	// CreateTemp makes the file 0600 already; saying so keeps the mode
	// this package's, not the library's.
	if err := f.Chmod(fileMode); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes dir's entries, where the system allows it: Windows
// cannot open a directory to sync it.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
