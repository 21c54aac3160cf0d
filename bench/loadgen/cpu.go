package loadgen

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of the CPU times in /proc (USER_HZ, 100 on every
// Linux the Go toolchain supports).
const userHZ = 100

// CPUSample is the CPU time used so far by this process, by other
// processes of interest, and by the whole machine.
type CPUSample struct {
	At   time.Time
	Self time.Duration
	// Procs holds the CPU time of each watched pid (-1 when unreadable).
	Procs []time.Duration
	// Busy and Total are the machine's jiffies from /proc/stat (0 when
	// unreadable).
	Busy, Total uint64
}

// SampleCPU reads the CPU times now. It reads /proc and works on Linux
// only; elsewhere only Self is set.
func SampleCPU(pids ...int) CPUSample {
	s := CPUSample{At: time.Now(), Procs: make([]time.Duration, len(pids))}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.Self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for i, pid := range pids {
		s.Procs[i] = procCPU(pid)
	}
	s.Busy, s.Total = machineCPU()
	return s
}

// CPUShare is CPU use over a window: CPU times, and shares of the machine
// (1.0 = every core busy the whole time).
type CPUShare struct {
	Wall time.Duration
	// SelfTime and ProcsTime are the CPU time of this process and of each
	// watched pid (0 when unreadable).
	SelfTime  time.Duration
	ProcsTime []time.Duration
	// Machine is the whole machine's busy share; Other is what neither this
	// process nor the watched ones used (other work on a shared machine).
	// Both are -1 when /proc/stat is unreadable.
	Machine, Other float64
}

// Since returns the CPU use between an earlier sample a and s.
func (s CPUSample) Since(a CPUSample) CPUShare {
	wall := s.At.Sub(a.At)
	capacity := float64(wall) * float64(runtime.NumCPU())
	out := CPUShare{Wall: wall, Machine: -1, Other: -1, SelfTime: s.Self - a.Self}
	if capacity <= 0 {
		return out
	}
	used := out.SelfTime
	for i := range s.Procs {
		d := s.Procs[i] - a.Procs[i]
		if s.Procs[i] < 0 || a.Procs[i] < 0 {
			d = 0
		}
		out.ProcsTime = append(out.ProcsTime, d)
		used += d
	}
	if s.Total > a.Total {
		out.Machine = float64(s.Busy-a.Busy) / float64(s.Total-a.Total)
		out.Other = max(out.Machine-float64(used)/capacity, 0)
	}
	return out
}

// procCPU is utime+stime of pid from /proc/<pid>/stat.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) may hold spaces; fields count from the
	// closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(ut+st) * time.Second / userHZ
}

// machineCPU reads the busy and total jiffies of all cores.
func machineCPU() (busy, total uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0
	}
	// user nice system idle iowait irq softirq steal [guest guest_nice]:
	// guest time is already counted in user.
	var v [8]uint64
	for i := range v {
		v[i], _ = strconv.ParseUint(f[i+1], 10, 64)
		total += v[i]
	}
	return total - v[3] - v[4], total
}

// LoadAvg returns /proc/loadavg's first three fields, or "".
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
