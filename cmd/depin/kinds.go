package main

import "github.com/depinhq/depin/agent"

func kindTemplate(name string) (agent.Kind, bool) {
	k, err := agent.LookupKind(name)
	return k, err == nil
}

func kindNames() []string { return agent.KindNames() }
