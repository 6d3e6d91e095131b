package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/gateway"
)

func newGatewayCmd(g *globals) *cobra.Command {
	cfg := gateway.DefaultConfig()
	var from, passFile string
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Collect signed device reports over MQTT and HTTP and submit them on chain in batches",
		Long: `Run a report gateway: an embedded MQTT broker (or a subscription to an
external one with --broker) takes reports on depin/v1/<network>/<device>/report,
and POST /v1/reports takes them over HTTP. Reports are checked (signature,
topic, duplicates) as they arrive, batched by size and time, and submitted
as ReportBatch transactions signed by --from, with retries while the node is
unreachable. It follows the chain's blocks and forwards each battery's part
of a virtual-power-plant dispatch to depin/devices/<device>/dispatch (and
GET /v1/dispatch/<device>); GET /v1/vpp/members/<pool>/<device> serves a
member record with its proof. Prometheus metrics are served at /metrics on
the HTTP address.`,
		Example: `  depin gateway --from bob
  depin gateway --from bob --broker tcp://mqtt.example.org:1883 --mqtt-listen ""`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := g.loadKey(from, passFile)
			if err != nil {
				return err
			}
			cfg.SubmitterKey = key.Private
			if cfg.MQTTBroker != "" && !cmd.Flags().Changed("mqtt-listen") {
				cfg.MQTTListen = "" // subscribing elsewhere: no embedded broker unless asked
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			lg, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			gw, err := gateway.New(cfg, c, lg)
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "depin gateway submitting as %s (%s) to %s\n", key.Name, key.Address, g.nodeURL)
			if a := gw.MQTTAddr(); a != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "  MQTT broker: tcp://%s (topic depin/v1/<network>/<device>/report)\n", a)
			}
			if cfg.MQTTBroker != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "  subscribed to %s\n", cfg.MQTTBroker)
			}
			if a := gw.HTTPAddr(); a != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "  HTTP: http://%s/v1/reports, metrics at http://%s/metrics\n", a, a)
			}
			err = gw.Run(cmd.Context())
			s := gw.Stats()
			fmt.Fprintf(cmd.OutOrStdout(), "received %d (mqtt) + %d (http), committed %d, accepted on chain %d\n", s.ReceivedMQTT, s.ReceivedHTTP, s.Committed, s.ChainAccepted)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "bob", "account that signs and pays for ReportBatch transactions")
	f.StringVar(&passFile, "passphrase-file", "", "file with that key's passphrase")
	f.StringVar(&cfg.MQTTListen, "mqtt-listen", cfg.MQTTListen, `embedded MQTT broker address ("" disables)`)
	f.StringVar(&cfg.MQTTBroker, "broker", "", "external MQTT broker to subscribe to, e.g. tcp://host:1883")
	f.StringVar(&cfg.HTTPListen, "http-listen", cfg.HTTPListen, `HTTP address for POST /v1/reports and /metrics ("" disables)`)
	f.IntVar(&cfg.MaxBatchReports, "batch", cfg.MaxBatchReports, "most reports per transaction")
	f.DurationVar(&cfg.MaxBatchWait, "batch-wait", cfg.MaxBatchWait, "longest a report waits for its batch")
	f.IntVar(&cfg.QueueLimit, "queue", cfg.QueueLimit, "most reports held while the node is slow or down")
	f.IntVar(&cfg.MQTTMaxClients, "mqtt-max-clients", cfg.MQTTMaxClients, "most MQTT clients the embedded broker holds at once")
	f.DurationVar(&cfg.DispatchPoll, "dispatch-poll", cfg.DispatchPoll, "how often to read new blocks for dispatches to forward to batteries (0: forward none)")
	f.Int64Var(&cfg.DispatchLookback, "dispatch-lookback", cfg.DispatchLookback, "blocks to read back for dispatches when starting")
	return cmd
}
