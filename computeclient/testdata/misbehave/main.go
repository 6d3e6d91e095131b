// Command misbehave is a compute job module for the tests: what task i does
// depends on i (the last argument), so one job tries every way a module can
// go wrong, each of which must end as a verified outcome, the same on every
// honest provider.
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

func main() {
	i, _ := strconv.Atoi(os.Args[len(os.Args)-1])
	switch i {
	case 0: // runs for ever: stopped by the job's time limit
		n := 0
		for {
			n++
		}
	case 1: // asks for ever more memory: stopped by the memory limit
		var keep [][]byte
		for {
			b := make([]byte, 8<<20)
			b[0] = 1
			keep = append(keep, b)
		}
	case 2: // tries the network
		c, err := net.Dial("tcp", "127.0.0.1:80")
		if err != nil {
			fmt.Println("no network:", err != nil)
			os.Exit(3)
		}
		c.Close()
		fmt.Println("connected")
	case 3: // tries a host file
		if _, err := os.ReadFile("/etc/passwd"); err != nil {
			fmt.Println("no host files")
			os.Exit(4)
		}
		fmt.Println("read /etc/passwd")
	default: // behaves
		os.WriteFile("/out/ok.txt", []byte("fine\n"), 0o644)
	}
}
