// netcheck: the NetworkPolicy test's pods. `netcheck serve ADDR` answers every TCP connection with
// "ok"; `netcheck connect ADDR` exits 0 when it reads that answer within the timeout, 1 otherwise
// (a pod's phase, Succeeded or Failed, then says whether the connection went through).
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"time"
)

func serve(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("serving on", ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		fmt.Println("connection from", conn.RemoteAddr())
		_, _ = conn.Write([]byte("ok\n"))
		_ = conn.Close()
	}
}

func connect(addr string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ok\n" {
		return fmt.Errorf("unexpected answer %q", line)
	}
	return nil
}

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "serve" && os.Args[1] != "connect") {
		fmt.Fprintln(os.Stderr, "usage: netcheck serve|connect HOST:PORT")
		os.Exit(2)
	}
	var err error
	if os.Args[1] == "serve" {
		err = serve(os.Args[2])
	} else {
		err = connect(os.Args[2], 5*time.Second)
		if err == nil {
			fmt.Println("connected to", os.Args[2])
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
