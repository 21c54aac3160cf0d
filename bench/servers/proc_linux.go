package servers

import "syscall"

// sysProcAttr kills a server when the load generator dies, however it
// dies, so that no server outlives a run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
