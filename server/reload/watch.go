package reload

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long Watch waits after the last change before it
// asks for a reload: an editor or a deploy writes several files, and a
// file is often written in more than one step.
const DefaultDebounce = 300 * time.Millisecond

// Path is something Watch watches: a directory with everything under it,
// or one file.
type Path struct {
	Name string
	Dir  bool
}

// Dir watches directory name and every directory under it.
func Dir(name string) Path { return Path{Name: name, Dir: true} }

// File watches one file.
func File(name string) Path { return Path{Name: name} }

// Watcher calls a function once the watched paths have changed and then
// stayed unchanged for a debounce time. It watches directories, never
// files alone: editors and deploy tools replace a file by renaming another
// over it, which ends a watch on the file itself. A file is watched
// through its directory, and also counts as changed when Kubernetes swaps
// the "..data" link of a mounted ConfigMap or Secret in that directory
// (its files are links through it). A watched directory replaced as a
// whole (renamed over) is found again through its parent.
type Watcher struct {
	w        *fsnotify.Watcher
	log      *slog.Logger
	debounce time.Duration
	onChange func()
	// roots are the watched directory trees; files the watched files (all
	// absolute and clean).
	roots map[string]bool
	files map[string]bool
}

// NewWatcher starts watching paths; Run delivers the changes to onChange.
// It fails when a path cannot be watched (a missing directory, the
// system's limit of watches reached).
func NewWatcher(paths []Path, debounce time.Duration, onChange func(), log *slog.Logger) (*Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	wt := &Watcher{w: w, log: log, debounce: debounce, onChange: onChange, roots: map[string]bool{}, files: map[string]bool{}}
	for _, p := range paths {
		if err := wt.add(p); err != nil {
			w.Close()
			return nil, err
		}
	}
	return wt, nil
}

// Run calls onChange after each settled change until ctx is done, then
// stops watching. Errors while watching are logged.
func (wt *Watcher) Run(ctx context.Context) {
	defer wt.w.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-wt.w.Events:
			if !ok {
				return
			}
			if wt.relevant(ev) {
				timer.Reset(wt.debounce)
			}
		case err, ok := <-wt.w.Errors:
			if !ok {
				return
			}
			// An overflowed event queue lost changes: reload to be sure.
			wt.log.Warn("watching files for reload", slog.Any("error", err))
			timer.Reset(wt.debounce)
		case <-timer.C:
			wt.onChange()
		}
	}
}

func (wt *Watcher) add(p Path) error {
	name, err := filepath.Abs(p.Name)
	if err != nil {
		return fmt.Errorf("watch %s: %w", p.Name, err)
	}
	if !p.Dir {
		wt.files[name] = true
		if err := wt.w.Add(filepath.Dir(name)); err != nil {
			return fmt.Errorf("watch %s: %w", filepath.Dir(name), err)
		}
		return nil
	}
	wt.roots[name] = true
	if err := wt.addTree(name); err != nil {
		return err
	}
	// The parent tells when the directory itself is replaced.
	if parent := filepath.Dir(name); parent != name {
		if err := wt.w.Add(parent); err != nil {
			return fmt.Errorf("watch %s: %w", parent, err)
		}
	}
	return nil
}

// addTree watches dir and every directory under it.
func (wt *Watcher) addTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != dir && os.IsNotExist(err) {
				return nil // removed while walking
			}
			return fmt.Errorf("watch %s: %w", p, err)
		}
		if d.IsDir() {
			if err := wt.w.Add(p); err != nil {
				return fmt.Errorf("watch %s: %w", p, err)
			}
		}
		return nil
	})
}

// relevant reports whether an event changes something watched, and
// starts watching a directory created in (or as) a watched tree.
func (wt *Watcher) relevant(ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod {
		return false // a touch or chmod changes no content
	}
	name := filepath.Clean(ev.Name)
	if wt.files[name] {
		return true
	}
	if filepath.Base(name) == "..data" && wt.watchesFileIn(filepath.Dir(name)) {
		return true
	}
	for root := range wt.roots {
		if name != root && !strings.HasPrefix(name, root+string(filepath.Separator)) {
			continue
		}
		if ev.Has(fsnotify.Create) {
			if st, err := os.Stat(name); err == nil && st.IsDir() {
				if err := wt.addTree(name); err != nil {
					wt.log.Warn("watching a new policy directory", slog.Any("error", err))
				}
			}
		}
		return true
	}
	return false
}

func (wt *Watcher) watchesFileIn(dir string) bool {
	for f := range wt.files {
		if filepath.Dir(f) == dir {
			return true
		}
	}
	return false
}
