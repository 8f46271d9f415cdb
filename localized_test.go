package backstop_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// formatVerb is a fmt verb, with its explicit argument index if any.
var formatVerb = regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0]*(?:\d+|\*)?(?:\.(?:\d+|\*)?)?([a-zA-Z%])`)

// formatArgs reads which argument each verb of a format takes (1-based),
// whether the format names arguments by index, and the highest one used.
func formatArgs(f string) (verbs map[int]byte, indexed bool, highest int) {
	verbs = map[int]byte{}
	pos := 0
	for _, m := range formatVerb.FindAllStringSubmatch(f, -1) {
		if m[2] == "%" {
			continue
		}
		if m[1] != "" {
			pos, _ = strconv.Atoi(m[1])
			indexed = true
		} else {
			pos++
		}
		verbs[pos] = m[2][0]
		highest = max(highest, pos)
	}
	return verbs, indexed, highest
}

// TestLocalizedFormats reads every backstop.Localized call of the module
// whose two formats are literals and checks that the Chinese format fits
// the arguments as the English one does: each takes every argument
// (or, naming them by index, none past the last), and an argument one
// format prints as a number the other does not print as text. A Chinese
// format that skips an argument shows "%!(EXTRA …)" on the page, one that
// reads an id as text "%!s(int64=…)": both reached users (a helper's
// confirmation page, a confirmed task's conflict).
func TestLocalizedFormats(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.CompositeLit); ok && !strings.HasSuffix(path, "_test.go") {
				checkProblem(t, fset, lit)
				return true
			}
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 3 || call.Ellipsis.IsValid() {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			zhLit, ok1 := call.Args[1].(*ast.BasicLit)
			enLit, ok2 := call.Args[2].(*ast.BasicLit)
			if name != "Localized" || !ok1 || !ok2 || zhLit.Kind != token.STRING || enLit.Kind != token.STRING {
				return true
			}
			zh, _ := strconv.Unquote(zhLit.Value)
			en, _ := strconv.Unquote(enLit.Value)
			args := len(call.Args) - 3
			at := fset.Position(call.Pos())
			checked++
			zv, zIndexed, zHigh := formatArgs(zh)
			ev, eIndexed, eHigh := formatArgs(en)
			for _, f := range []struct {
				lang    string
				format  string
				indexed bool
				high    int
				verbs   map[int]byte
			}{{"Chinese", zh, zIndexed, zHigh, zv}, {"English", en, eIndexed, eHigh, ev}} {
				switch {
				case f.high > args:
					t.Errorf("%s: the %s format reads argument %d of %d", at, f.lang, f.high, args)
				case !f.indexed && len(f.verbs) < args:
					t.Errorf("%s: the %s format takes %d of its %d arguments (the rest show as %%!(EXTRA …)): %q", at, f.lang, len(f.verbs), args, f.format)
				}
			}
			for i, z := range zv {
				e, ok := ev[i]
				if ok && (z == 'd') != (e == 'd') && z != 'v' && e != 'v' {
					t.Errorf("%s: argument %d is %%%c in Chinese and %%%c in English: %q", at, i, z, e, zh)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 200 {
		t.Fatalf("only %d Localized calls read: the walk missed the module", checked)
	}
}

// checkProblem: a backstop.Problem written with a Reason has a ReasonZH
// too. A located problem without one is shown on a Chinese page as the
// generic sentence of its code (a CAP note "referenced warning … is not
// stored here" read "内容不符合要求，请对照模板修改").
func checkProblem(t *testing.T, fset *token.FileSet, lit *ast.CompositeLit) {
	t.Helper()
	name := ""
	switch typ := lit.Type.(type) {
	case *ast.SelectorExpr:
		name = typ.Sel.Name
	case *ast.Ident:
		name = typ.Name
	}
	if name != "Problem" {
		return
	}
	reason, zh := false, false
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok {
				reason = reason || id.Name == "Reason"
				zh = zh || id.Name == "ReasonZH"
			}
		}
	}
	if reason && !zh {
		t.Errorf("%s: a Problem with a Reason and no ReasonZH", fset.Position(lit.Pos()))
	}
}
