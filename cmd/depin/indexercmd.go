package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/indexer"
	"github.com/depinhq/depin/indexer/graph"
)

func newIndexerCmd(g *globals) *cobra.Command {
	var dsn, listen string
	cmd := &cobra.Command{
		Use:   "indexer",
		Short: "Copy the chain's finalized blocks into a SQL database of domain tables",
		Long: `Follow the node's finalized blocks (--node) and write blocks, txs, events,
balances, networks, devices, report counts and fraud evidence into --db:
sqlite:PATH (the default, in <home>/data/index.db) or postgres://…
Each block is written in one database transaction with the cursor, so the
indexer resumes where it stopped, with no gap and no duplicate. It logs its
progress and lag (blocks behind the node).`,
		Example: `  depin indexer
  depin indexer --node http://127.0.0.1:26657 --db sqlite:/tmp/index.db`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dsn == "" {
				dsn = "sqlite:" + filepath.Join(g.home, "data", "index.db")
				if err := os.MkdirAll(filepath.Join(g.home, "data"), 0o700); err != nil {
					return err
				}
			}
			lg, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			db, err := indexer.Open(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			h, _ := db.Height(cmd.Context())
			fmt.Fprintf(os.Stderr, "indexing %s into %s (from height %d)\n", g.nodeURL, dsn, h+1)
			ix := &indexer.Indexer{DB: db, Client: c, Log: lg, Poll: 200 * time.Millisecond}
			if listen != "" {
				mux := graph.Mux(ix)
				ln, err := net.Listen("tcp", listen)
				if err != nil {
					return fmt.Errorf("--listen %s: %w", listen, err)
				}
				srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second}
				go srv.Serve(ln)
				defer srv.Close()
				fmt.Fprintf(os.Stderr, "explorer at http://%[1]s/, GraphQL at http://%[1]s/graphql (playground: /playground, live updates as server-sent events: /live[?device=ID])\n", ln.Addr())
			}
			return ix.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&dsn, "db", "", "sqlite:PATH or postgres://… (default sqlite:<home>/data/index.db)")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8081", `address of the GraphQL API ("" for none)`)
	return cmd
}
