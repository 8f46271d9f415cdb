package backstop

import "strings"

// Region scope beyond households: every object that belongs to a region
// (a warning by the regions its areas cover, a message template, a
// consultation by its warning, an audit row) is read and written by the
// same rule as a household:
//
//   - a read outside the user's region finds nothing (ENOTFOUND, 404), as
//     if the object did not exist;
//   - a write outside it is EFORBIDDEN (403), decided from the region the
//     request names before anything is looked up, so that the answer is
//     the same whether or not the object exists. A write that names only
//     an id (a contact, a task) looks the id up inside the user's region;
//     what is not there is EFORBIDDEN for a scoped user too (it may exist
//     elsewhere, and the answer must not say so), ENOTFOUND for a user of
//     the national scope, who has no elsewhere.
//
// Warnings are public information for every signed-in user (the CAP feed
// publishes them): any region's may be read; what they expose is counted
// within the reader's region only.

// CommonRegion returns the smallest region holding every code given
// (normalised 12-digit codes): their longest shared prefix cut at a
// level's boundary and padded with zeros. No codes, or codes of two
// provinces, give NationalScope.
func CommonRegion(codes ...string) string {
	if len(codes) == 0 {
		return NationalScope
	}
	// The prefix all codes share is the one the smallest and the largest
	// share.
	lo, hi := codes[0], codes[0]
	for _, c := range codes[1:] {
		lo, hi = min(lo, c), max(hi, c)
	}
	if len(lo) != 12 || len(hi) != 12 {
		return NationalScope
	}
	for _, n := range []int{12, 9, 6, 4, 2} {
		if lo[:n] == hi[:n] {
			if strings.Trim(lo[:n], "0") == "" {
				return NationalScope
			}
			return lo[:n] + strings.Repeat("0", 12-n)
		}
	}
	return NationalScope
}

// RegionsOverlap reports whether two regions share ground: one holds the
// other.
func RegionsOverlap(a, b string) bool {
	return len(a) == 12 && len(b) == 12 && (CodeWithin(a, b) || CodeWithin(b, a))
}

// OutsideRegion is the answer to a write on something outside the user's
// region; whatZH and what name the thing ("预警12", "warning 12").
func OutsideRegion(u *User, whatZH, what string) *Error {
	return E(EFORBIDDEN, "forbidden.region", Named{ZH: whatZH, EN: capitalise(what)}, u.Region)
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// NotInRegion turns "not found" of a write that named only an id into the
// answer of a write outside the user's region, for users of a scope: the
// id was looked up inside their region, and whether it exists elsewhere is
// not theirs to learn. Users of the national scope keep ENOTFOUND; other
// errors pass.
func NotInRegion(u *User, err error, whatZH, what string) error {
	if ErrorCode(err) != ENOTFOUND || u == nil || u.Region == NationalScope {
		return err
	}
	return E(EFORBIDDEN, "forbidden.region_or_missing", Named{ZH: whatZH, EN: capitalise(what)}, u.Region)
}
