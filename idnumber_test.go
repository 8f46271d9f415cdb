package backstop

import (
	"strings"
	"testing"
)

func TestValidateIDNumber(t *testing.T) {
	for _, tc := range []struct {
		id, err string
	}{
		{"620723196106054054", ""},
		{"62072319610605405x", "check digit"}, // wrong check
		{"620723196106054055", "check digit is 5, should be 4"},
		{"62072319610605405", "18 characters"},
		{"620723196113054054", "birth date"},
		{"6207231961060540a4", "digit"},
		{"11010519491231002X", ""},
		{"11010519491231002x", ""},
	} {
		_, _, err := ValidateIDNumber(tc.id)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ValidateIDNumber(%q) = %v, want ok", tc.id, err)
		case tc.err != "" && (err == nil || !contains(ErrorMessage(err), tc.err)):
			t.Errorf("ValidateIDNumber(%q) = %v, want error containing %q", tc.id, err, tc.err)
		}
	}
}

func TestMask(t *testing.T) {
	if got, want := MaskIDNumber("620723196106054054"), "620723********4054"; got != want {
		t.Errorf("MaskIDNumber = %q, want %q", got, want)
	}
	if got, want := MaskPhone("13893652186"), "138****2186"; got != want {
		t.Errorf("MaskPhone = %q, want %q", got, want)
	}
}

func TestValidatePhone(t *testing.T) {
	for in, want := range map[string]string{"13893652186": "13893652186", "0936-8211234": "09368211234", "+86 138 9365 2186": "13893652186"} {
		got, err := ValidatePhone(in)
		if err != nil || got != want {
			t.Errorf("ValidatePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"12345", "2389365218", "138936521860", "13a93652186"} {
		if _, err := ValidatePhone(in); err == nil {
			t.Errorf("ValidatePhone(%q) accepted", in)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
