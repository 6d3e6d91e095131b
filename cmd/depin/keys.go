package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
)

func (g *globals) keystore() *keystore.Store { return keystore.Open(node.KeysDir(g.home)) }

// passphrase reads a passphrase from --passphrase-file, $DEPIN_PASSPHRASE
// or, on a terminal, a prompt (twice when confirm is set).
func passphrase(file, prompt string, confirm bool) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		return []byte(strings.TrimRight(string(b), "\r\n")), nil
	}
	if p, ok := os.LookupEnv("DEPIN_PASSPHRASE"); ok {
		return []byte(p), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, errors.New("a passphrase is needed: set DEPIN_PASSPHRASE, pass --passphrase-file, or run in a terminal")
	}
	fmt.Fprint(os.Stderr, prompt+": ")
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, err
	}
	if confirm {
		fmt.Fprint(os.Stderr, "Repeat passphrase: ")
		q, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return nil, err
		}
		if string(p) != string(q) {
			return nil, errors.New("passphrases do not match")
		}
	}
	return p, nil
}

// loadKey opens a key for signing, asking for its passphrase if needed.
func (g *globals) loadKey(nameOrAddr, passFile string) (*keystore.Key, error) {
	ks := g.keystore()
	info, err := ks.Resolve(nameOrAddr)
	if err != nil {
		return nil, g.keyError(nameOrAddr, err)
	}
	var pass []byte
	if info.Encrypted {
		if pass, err = passphrase(passFile, "Passphrase for "+info.Name, false); err != nil {
			return nil, err
		}
	}
	k, err := ks.Load(info.Name, pass)
	if errors.Is(err, keystore.ErrBadPassphrase) {
		return nil, fmt.Errorf("%w: key %q (in %s) did not open with that passphrase — check $DEPIN_PASSPHRASE or --passphrase-file", err, info.Name, ks.Dir())
	}
	return k, err
}

// keyError says that no local key is called name, and which there are.
func (g *globals) keyError(name string, err error) error {
	if !errors.Is(err, keystore.ErrNotFound) {
		return err
	}
	ks := g.keystore()
	var names []string
	if infos, lerr := ks.List(); lerr == nil {
		for _, i := range infos {
			names = append(names, i.Name)
		}
	}
	if strings.HasPrefix(name, crypto.AccountPrefix+"1") {
		return usageError{fmt.Errorf("no local key has address %s, so it cannot sign here (keys are in %s)", name, ks.Dir())}
	}
	have := "there are none yet"
	if len(names) > 0 {
		have = "there are " + strings.Join(names, ", ")
	}
	return usageError{fmt.Errorf("no key named %q in %s (%s); create one with 'depin keys add %s'", name, ks.Dir(), have, name)}
}

// resolveAddress accepts a bech32 address or the name of a local key.
func (g *globals) resolveAddress(s string) (crypto.Address, error) {
	if strings.HasPrefix(s, crypto.AccountPrefix+"1") || strings.HasPrefix(s, crypto.DevicePrefix+"1") {
		return parseAccount(s)
	}
	info, err := g.keystore().Show(s)
	if err != nil {
		err = g.keyError(s, err)
		var ue usageError
		if errors.As(err, &ue) {
			return crypto.Address{}, usageError{fmt.Errorf("%q is not a depin1… address, and %w", s, ue.error)}
		}
		return crypto.Address{}, err
	}
	return info.Address, nil
}

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage account keys (encrypted at rest)"}
	var passFile string
	var unencrypted bool
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a new key, encrypted with a passphrase",
		Args:  argsExactly(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pass []byte
			if !unencrypted {
				var err error
				if pass, err = passphrase(passFile, "New passphrase", true); err != nil {
					return err
				}
				if len(pass) < 8 {
					return usageError{errors.New("passphrase must have at least 8 characters (or use --unencrypted for throwaway devnet keys)")}
				}
			}
			k, err := g.keystore().Add(args[0], pass)
			if errors.Is(err, keystore.ErrExists) {
				return usageError{fmt.Errorf("%w: %s, in %s ('depin keys show %s'); pick another name", keystore.ErrExists, args[0], g.keystore().Dir(), args[0])}
			}
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), keyAddedView{newKeyView(k.Info), g.keystore().Dir()})
		},
	}
	add.Flags().StringVar(&passFile, "passphrase-file", "", "read the passphrase from this file")
	add.Flags().BoolVar(&unencrypted, "unencrypted", false, "store the key without encryption (devnet only)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List keys",
		Args:  argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			infos, err := g.keystore().List()
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newKeyListView(infos, g.keystore().Dir()))
		},
	}
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a key's address and public key",
		Args:  argsExactly(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			i, err := g.keystore().Resolve(args[0])
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newKeyView(i))
		},
	}
	var exportPassFile string
	export := &cobra.Command{
		Use:   "export NAME",
		Short: "Print a key re-encrypted under an export passphrase (JSON)",
		Args:  argsExactly(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks := g.keystore()
			info, err := ks.Show(args[0])
			if err != nil {
				return err
			}
			var pass []byte
			if info.Encrypted {
				if pass, err = passphrase(passFile, "Passphrase of "+info.Name, false); err != nil {
					return err
				}
			}
			exp, err := passphrase(exportPassFile, "Export passphrase", true)
			if err != nil {
				return err
			}
			out, err := ks.Export(args[0], pass, exp)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return err
		},
	}
	export.Flags().StringVar(&passFile, "passphrase-file", "", "file with the key's passphrase")
	export.Flags().StringVar(&exportPassFile, "export-passphrase-file", "", "file with the passphrase to encrypt the export with ($DEPIN_PASSPHRASE is used for both if set)")

	var importPassFile, seedHex string
	imp := &cobra.Command{
		Use:   "import NAME [FILE]",
		Short: "Import a key exported with 'keys export' (FILE, or stdin), or a raw seed with --seed-hex",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError{errors.New("want NAME [FILE]")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ks := g.keystore()
			if seedHex != "" {
				seed, err := hex.DecodeString(seedHex)
				if err != nil {
					return usageError{fmt.Errorf("--seed-hex: %w", err)}
				}
				pass, err := passphrase(passFile, "New passphrase", true)
				if err != nil {
					return err
				}
				k, err := ks.ImportSeed(args[0], seed, pass)
				if err != nil {
					return err
				}
				return g.render(cmd.OutOrStdout(), keyImportedView{newKeyView(k.Info)})
			}
			var data []byte
			var err error
			if len(args) == 2 {
				data, err = os.ReadFile(args[1])
			} else {
				data, err = io.ReadAll(io.LimitReader(bufio.NewReader(os.Stdin), 1<<16))
			}
			if err != nil {
				return err
			}
			f, err := keystore.ParseFile(data)
			if err != nil {
				return err
			}
			var pass []byte
			if f.Encrypted {
				if pass, err = passphrase(importPassFile, "Passphrase of the exported key", false); err != nil {
					return err
				}
			}
			k, err := ks.ImportFile(args[0], data, pass)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), keyImportedView{newKeyView(k.Info)})
		},
	}
	imp.Flags().StringVar(&importPassFile, "passphrase-file", "", "file with the exported key's passphrase")
	imp.Flags().StringVar(&seedHex, "seed-hex", "", "import a raw 32-byte ed25519 seed (hex) instead of a file")
	cmd.AddCommand(add, list, show, export, imp)
	return cmd
}
