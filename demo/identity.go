package demo

import (
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Phones and ID numbers of the demo: they look like the numbers a rural
// register in Zhangye holds, carry a marker that says they are the demo's,
// and are unique within a generator unless a household shares on purpose.
//
// What is and is not guaranteed. China's numbering plan (电信网编号计划)
// reserves no mobile range for fiction or tests, and a GB 11643 number
// with a real county code, a real birth date and a right check digit is
// indistinguishable from an issued one. So neither a demo phone nor a demo
// ID number can be proven never to belong to someone. What is guaranteed:
// every value is drawn from a seeded generator, never copied or derived
// from real records; the name, age, relation and village around a number
// are random, so a coincidence with a real number does not carry the real
// person's data; and the markers below make a demo export recognisable as
// a whole (SyntheticPhone, SyntheticIDNumber), while the masked forms shown
// in the UI (138****2186, 620723********9154) look like any register's.
// Because a demo phone may ring a real subscriber, never point a real SMS
// gateway at a demo database.

// PhoneMarker is the demo's mark on mobile numbers: digits 4–6 (the first
// three of the four-digit block after the network prefix, which MaskPhone
// hides) are always 000, after a real prefix of China Mobile, China Unicom
// or China Telecom. Digit 7 and the last four count through the numbers;
// digit 7 is 9 only for contacts (cadres, duty officers, departments), so
// that they never take a household's number either.
const PhoneMarker = "000"

// mobilePrefixes are the three operators' public mobile prefixes, weighted
// roughly as rural Gansu holds them (China Mobile about three fifths).
// Data-only and IoT ranges (145 146 147 148 149), satellite 174 and the
// resellers' 162 165 167 170 171 are left out.
var mobilePrefixes = table(`139:9 138:7 137:5 136:4 135:5 134:3 150:3 151:4 152:3 157:3 158:3 159:3 182:3 183:3 184:1 187:3
	188:2 178:1.5 172:0.5 198:2 195:1 197:0.5
	130:2.5 131:2 132:2 155:2 156:2 185:2 186:2 176:1.5 175:1 166:1 196:0.5
	133:3 153:3 173:2 177:2.5 180:2.5 181:3 189:3.5 199:2 191:1.5 193:1 190:0.5`)

const (
	householdPhones = 90000 // per prefix: digit 7 from 0 to 8, then four digits
	contactPhones   = 10000 // per prefix: digit 7 is 9
)

// SyntheticPhone reports whether a phone number has the demo's marker: 11
// digits, a real mobile prefix of the three operators, then 000.
func SyntheticPhone(phone string) bool {
	if len(phone) != 11 || phone[3:6] != PhoneMarker {
		return false
	}
	for i := 0; i < 11; i++ {
		if phone[i] < '0' || phone[i] > '9' {
			return false
		}
	}
	_, ok := prefixIndex[phone[:3]]
	return ok
}

var prefixIndex = func() map[string]int {
	m := map[string]int{}
	for i, p := range mobilePrefixes.items {
		m[p] = i
	}
	return m
}()

// phoneBook hands out numbers: per prefix, the k-th number is a fixed
// permutation of k, so that neighbours get unrelated-looking numbers and no
// number is given twice until a prefix's block is used up; then the next
// prefix serves. Only past 4 million numbers in one generator (about 2.4
// million households) do numbers repeat.
type phoneBook struct {
	used, contactsUsed []int
	mul, off           []int // per prefix: number = (off + k·mul) mod block
}

func newPhoneBook(seed uint64) phoneBook {
	n := len(mobilePrefixes.items)
	b := phoneBook{used: make([]int, n), contactsUsed: make([]int, n), mul: make([]int, n), off: make([]int, n)}
	for i := range n {
		h := mix(seed, uint64(i), 0x70686f6e65)
		// Multipliers coprime with 90,000 and 10,000 (= 2^a·3^b·5^c):
		// neither even nor divisible by 3 or 5.
		m := int(h%30000)*30 + 7
		b.mul[i], b.off[i] = m, int(h>>32)%householdPhones
	}
	return b
}

// next returns a new number with a prefix drawn by share (x in [0,1)).
func (b *phoneBook) next(x float64, contact bool) string {
	p := mobilePrefixes.index(x)
	block, used := householdPhones, b.used
	if contact {
		block, used = contactPhones, b.contactsUsed
	}
	for range len(used) {
		if used[p] < block {
			break
		}
		p = (p + 1) % len(used)
	}
	if used[p] >= block {
		// Every block is used up: start again (documented above).
		clear(used)
	}
	k := used[p]
	used[p]++
	v := (b.off[p] + k*b.mul[p]) % block
	if contact {
		v += householdPhones
	}
	var d [11]byte
	copy(d[:3], mobilePrefixes.items[p])
	copy(d[3:6], PhoneMarker)
	d[6] = byte('0' + v/10000)
	for i, r := 10, v%10000; i >= 7; i-- {
		d[i] = byte('0' + r%10)
		r /= 10
	}
	return string(d[:])
}

func (w *weighted) index(x float64) int {
	x *= w.cum[len(w.cum)-1]
	lo, hi := 0, len(w.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if w.cum[mid] <= x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// ID numbers (GB 11643: six-digit address code, birth date, three-digit
// sequence code whose parity is the sex, check digit). The address code is
// the real code of the household's county and the birth date the person's.
//
// IDSequenceMarker is the demo's mark: the sequence code starts with 9.
// Real issuance numbers those born on one day in one county upwards within
// blocks given to police stations, so high codes are the least used in a
// rural county — likely, not knowable from here, hence the honest
// paragraph above. The demo's codes for one county and birth date run
// through 900–995 in a scrambled order (996–999 are left alone: the
// 15-digit registers are said to have kept them for centenarians), then, past 48 persons of one
// sex born the same day in one county (only in stores of millions of
// households), through 800–895 and lower blocks.
const IDSequenceMarker = '9'

// SyntheticIDNumber reports whether an ID number has the demo's marks: a
// valid GB 11643 number of a Zhangye county with a sequence code from 900.
func SyntheticIDNumber(id string) bool {
	norm, _, err := backstop.ValidateIDNumber(id)
	if err != nil || norm[14] != IDSequenceMarker {
		return false
	}
	_, ok := countyIndex[norm[:6]]
	return ok
}

var countyIndex = func() map[string]int {
	m := map[string]int{}
	for i, c := range counties {
		m[c.code] = i
	}
	return m
}()

// idFirstBirth is the earliest birth date the demo gives (nobody is older
// than 100 on its data date).
var idFirstBirth = time.Date(1925, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	idPerBlock = 48 // codes of one sex in a block of 100 (900–995 and so on)
	idBlocks   = 9  // 9xx down to 1xx
)

// idBook counts the numbers given per county, birth date and sex.
type idBook struct {
	seed   uint64
	counts [][]uint16 // per county: per day since idFirstBirth and sex
}

func newIDBook(seed uint64) idBook {
	return idBook{seed: seed, counts: make([][]uint16, len(counties))}
}

// number makes the ID number of a person of the county (index into
// counties) born on the date.
func (b *idBook) number(county int, birth time.Time, male bool) string {
	day := int(birth.Sub(idFirstBirth).Hours() / 24)
	if b.counts[county] == nil {
		days := int(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Sub(idFirstBirth).Hours()/24) + 1
		b.counts[county] = make([]uint16, 2*days)
	}
	slot := 2 * day
	if male {
		slot++
	}
	k := int(b.counts[county][slot])
	b.counts[county][slot]++
	k %= idPerBlock * idBlocks // past 432 per day, sex and county: repeats (never reached)
	block := 9 - k/idPerBlock
	// A scrambled walk through the block: start and stride from the
	// county, day, sex and block; strides are coprime with 48.
	h := mix(b.seed, uint64(slot), uint64(county*16+block))
	stride := idStrides[h%uint64(len(idStrides))]
	j := (int(h>>32)%idPerBlock + (k%idPerBlock)*stride) % idPerBlock
	seq := block*100 + 2*j
	if male {
		seq++
	}
	var d [18]byte
	copy(d[:6], counties[county].code)
	y, m, dd := birth.Date()
	put := func(at, n, width int) {
		for i := at + width - 1; i >= at; i-- {
			d[i] = byte('0' + n%10)
			n /= 10
		}
	}
	put(6, y, 4)
	put(10, int(m), 2)
	put(12, dd, 2)
	put(14, seq, 3)
	d[17] = backstop.IDCheckDigit(string(d[:17]))
	return string(d[:])
}

var idStrides = []int{1, 5, 7, 11, 13, 17, 19, 23, 25, 29, 31, 35, 37, 41, 43, 47}

// mix is SplitMix64 over three words: a cheap stable hash for the
// permutations above.
func mix(a, b, c uint64) uint64 {
	z := a*0x9e3779b97f4a7c15 ^ b*0xbf58476d1ce4e5b9 ^ c*0x94d049bb133111eb
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	return z ^ z>>31
}
