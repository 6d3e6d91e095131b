package main

import "github.com/spf13/cobra"

func newBenchCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "bench", Short: "End-to-end benchmarks against a node"}
}
