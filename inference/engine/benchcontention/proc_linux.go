package main

import "syscall"

// dieWithParent makes a busy-loop process receive SIGKILL when this process dies.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
