package backstop_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
)

// codeArgNames are the names of values that hold a code of the
// vocabulary: a channel, a role, a state, a hazard, a level, a status.
var codeArgNames = map[string]string{
	"ch": backstop.TermChannel, "channel": backstop.TermChannel, "role": backstop.TermRole, "state": "a state",
	"hazard": backstop.TermHazard, "level": backstop.TermLevel, "status": "a status",
}

// TestNoRawCodeInChineseMessages reads every backstop.Localized call of the
// module: a channel, role, state, hazard, level or status passed as it is
// to a verb of the Chinese message prints the code (渠道wecom未配置). Pass
// backstop.Term(kind, code), which reads in each message's language; a
// code quoted “%s” is an echo of the user's input and may stay.
func TestNoRawCodeInChineseMessages(t *testing.T) {
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
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 4 || call.Ellipsis.IsValid() {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Localized" {
				if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "Localized" {
					return true
				}
			}
			zhLit, ok := call.Args[1].(*ast.BasicLit)
			if !ok || zhLit.Kind != token.STRING {
				return true
			}
			zh, _ := strconv.Unquote(zhLit.Value)
			checked++
			quoted := quotedVerbs(zh)
			read, _, _ := formatArgs(zh)
			for i, arg := range call.Args[3:] {
				name := codeName(arg)
				kind, isCode := codeArgNames[strings.ToLower(name)]
				if _, printed := read[i+1]; !isCode || !printed || quoted[i+1] {
					continue
				}
				t.Errorf("%s: argument %d (%s, %s) prints a raw code in %q: pass backstop.Term(...)", fset.Position(arg.Pos()), i+1, name, kind, zh)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d Localized calls with arguments read", checked)
	}
}

// codeName is the last name of an identifier, a selector (x.State) or a
// conversion of one (string(x.State)); "" for other expressions.
func codeName(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.Ident:
		return v.Name
	case *ast.SelectorExpr:
		return v.Sel.Name
	case *ast.CallExpr:
		if id, ok := v.Fun.(*ast.Ident); ok && id.Name == "string" && len(v.Args) == 1 {
			return codeName(v.Args[0])
		}
	}
	return ""
}

// quotedVerbs tells which arguments (1-based) a Chinese format prints
// inside “…” or with %q: an echo of what the user typed.
func quotedVerbs(f string) map[int]bool {
	out := map[int]bool{}
	pos := 0
	for _, m := range formatVerb.FindAllStringSubmatchIndex(f, -1) {
		verb := f[m[4]:m[5]]
		if verb == "%" {
			continue
		}
		if m[2] >= 0 {
			pos, _ = strconv.Atoi(f[m[2]:m[3]])
		} else {
			pos++
		}
		before, after := f[:m[0]], f[m[1]:]
		if verb == "q" || (strings.HasSuffix(before, "“") && strings.HasPrefix(after, "”")) || (strings.HasSuffix(before, "\"") && strings.HasPrefix(after, "\"")) {
			out[pos] = true
		}
	}
	return out
}

func TestTermNames(t *testing.T) {
	localized := backstop.Localized(backstop.EUNAVAILABLE, "渠道%s未配置", "Channel %s is not configured.", backstop.Term(backstop.TermChannel, backstop.ChannelWeCom))
	if localized.ZH != "渠道企业微信未配置" || localized.Message != "Channel WeCom is not configured." {
		t.Errorf("a Term in Localized: %q / %q", localized.ZH, localized.Message)
	}
	if n := backstop.Term(backstop.TermHazard, "rainstorm"); n.ZH != "暴雨" {
		t.Errorf("hazard: %+v", n)
	}
	if n := backstop.Term(backstop.TermRole, string(backstop.RoleTownship)); n.ZH != "乡镇" {
		t.Errorf("role: %+v", n)
	}
}
