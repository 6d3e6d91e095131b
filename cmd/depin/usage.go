package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Usage errors: every way of calling a command wrongly — an unknown
// subcommand, a missing argument or required flag, a bad flag — is a
// usageError (exit 2) that says what was wrong and where to read more.
// TestUsageExitCodes holds it for every command group.

type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// wireCommands makes every command group refuse what is not one of its
// subcommands — cobra, left alone, prints a group's help for 'depin query
// devic' and exits 0 as if the user had asked for it; a group called
// alone still prints its help — and passes every command's error through
// g.explain (errors.go).
func wireCommands(cmd *cobra.Command, g *globals) {
	cmd.SuggestionsMinimumDistance = 2
	if cmd.HasSubCommands() && cmd.Run == nil && cmd.RunE == nil {
		cmd.Args = subcommandArgs
		cmd.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	}
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(cmd *cobra.Command, args []string) error { return g.explain(run(cmd, args)) }
	}
	for _, c := range cmd.Commands() {
		wireCommands(c, g)
	}
	if !cmd.HasParent() {
		// A group's help shows "depin query [command]", not also "depin
		// query [flags]" as for a command that runs (groups run only to
		// refuse what is not their subcommand).
		cmd.SetUsageTemplate(strings.Replace(cmd.UsageTemplate(), "Usage:{{if .Runnable}}", "Usage:{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
	}
}

// subcommandArgs accepts no arguments for a command group: anything given
// is a subcommand it does not have.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%q is not a command of '%s'", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + orList(s) + "?"
	}
	return usageError{fmt.Errorf("%s (its commands: %s; see '%s --help')", msg, strings.Join(subcommandNames(cmd), ", "), cmd.CommandPath())}
}

func subcommandNames(cmd *cobra.Command) []string {
	var out []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			out = append(out, c.Name())
		}
	}
	return out
}

// orList is "a", "a or b", "a, b or c".
func orList(s []string) string { return joinLast(s, " or ") }

// andList is "a", "a and b", "a, b and c".
func andList(s []string) string { return joinLast(s, " and ") }

func joinLast(s []string, last string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + last + s[len(s)-1]
}

// argsExactly wants n positional arguments, named in the command's Use
// line ("send FROM TO AMOUNT").
func argsExactly(n int, _ string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return usageError{argsError(cmd, args)}
	}
}

// argsError says which arguments a command takes and which it got.
func argsError(cmd *cobra.Command, args []string) error {
	want := "no arguments"
	if f := strings.Fields(cmd.Use); len(f) > 1 {
		want = strings.Join(f[1:], " ")
	}
	got := "none"
	if len(args) > 0 {
		got = fmt.Sprintf("%d (%s)", len(args), strings.Join(args, " "))
	}
	return fmt.Errorf("'%s' takes %s; got %s (see '%s --help')", cmd.CommandPath(), want, got, cmd.CommandPath())
}

// requiredFlags is cobra's check of flags marked required, as a usage
// error that names each missing flag with what it is for.
func requiredFlags(cmd *cobra.Command) error {
	if cmd.ValidateRequiredFlags() == nil {
		return nil
	}
	var missing []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if req, ok := f.Annotations[cobra.BashCompOneRequiredFlag]; ok && len(req) > 0 && req[0] == "true" && !f.Changed {
			missing = append(missing, fmt.Sprintf("--%s (%s)", f.Name, withoutRequired(f.Usage)))
		}
	})
	return usageError{fmt.Errorf("'%s' needs %s (see '%s --help')", cmd.CommandPath(), andList(missing), cmd.CommandPath())}
}

// withoutRequired is a flag's usage without its "(required)" note.
func withoutRequired(usage string) string {
	usage = strings.Replace(usage, " (required)", "", 1)
	usage = strings.Replace(usage, "(required; ", "(", 1)
	usage = strings.Replace(usage, "(required, ", "(", 1)
	usage = strings.Replace(usage, "; required)", ")", 1)
	return strings.TrimSpace(usage)
}
