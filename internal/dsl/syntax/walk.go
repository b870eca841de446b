package syntax

// This file walks the syntax tree.

// Inspect calls f on n and, when f returns true, on each child of n in
// source order.
func Inspect(n Node, f func(Node) bool) {
	if n == nil || !f(n) {
		return
	}
	switch n := n.(type) {
	case *File:
		if n.Policy != nil {
			Inspect(n.Policy, f)
		}
	case *Policy:
		Inspect(n.Name, f)
		Inspect(n.Syntax, f)
		for _, s := range n.Sections {
			Inspect(s, f)
		}
	case *Block:
		for _, kv := range n.Entries {
			Inspect(kv, f)
		}
	case *Profile:
		Inspect(n.Name, f)
		for _, it := range n.Items {
			Inspect(it, f)
		}
	case *Rule:
		Inspect(n.Name, f)
		if n.Priority != nil {
			Inspect(n.Priority, f)
		}
		Inspect(n.When, f)
		for _, a := range n.Then {
			Inspect(a, f)
		}
		for _, a := range n.Else {
			Inspect(a, f)
		}
		if n.Because != nil {
			Inspect(n.Because, f)
		}
	case *Imports:
		Inspect(n.Value, f)
	case *MapBlock:
		Inspect(n.Name, f)
		for _, e := range n.Entries {
			Inspect(e, f)
		}
	case *MapEntry:
		Inspect(n.Key, f)
		Inspect(n.Match, f)
		Inspect(n.Delta, f)
	case *EnvBlock:
		Inspect(n.Name, f)
		for _, e := range n.Entries {
			Inspect(e, f)
		}
	case *EnvEntry:
		Inspect(n.Cond, f)
		Inspect(n.Delta, f)
	case *KV:
		Inspect(n.Key, f)
		Inspect(n.Value, f)
	case *AssignAction:
		Inspect(n.Value, f)
	case *AnnotateAction:
		Inspect(n.Key, f)
		Inspect(n.Value, f)
	case *WarnAction:
		if n.Message != nil {
			Inspect(n.Message, f)
		}
	case *EscalateAction:
		Inspect(n.Value, f)
	case *RequireVexAction:
		Inspect(n.Body, f)
	case *IgnoreAction:
		if n.Until != nil {
			Inspect(n.Until, f)
		}
	case *ListLit:
		for _, e := range n.Elems {
			Inspect(e, f)
		}
	case *ObjectLit:
		for _, kv := range n.Entries {
			Inspect(kv, f)
		}
	case *ParenExpr:
		Inspect(n.X, f)
	case *MemberExpr:
		Inspect(n.X, f)
		Inspect(n.Name, f)
	case *CallExpr:
		Inspect(n.Fn, f)
		for _, a := range n.Args {
			Inspect(a, f)
		}
	case *IndexExpr:
		Inspect(n.X, f)
		Inspect(n.Index, f)
	case *UnaryExpr:
		Inspect(n.X, f)
	case *BinaryExpr:
		Inspect(n.X, f)
		Inspect(n.Y, f)
	}
}

// Span implements Node for a whole file: from the policy keyword to its
// closing brace (zero when there is no policy).
func (f *File) Span() Span {
	if f.Policy == nil {
		return Span{}
	}
	return f.Policy.Span()
}
