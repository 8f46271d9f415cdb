package backstop

import "time"

// Beijing is China Standard Time, the one time zone of the whole module:
// dates in sheets, working days, deadlines and every time a user reads.
// China has no daylight saving time, so a fixed offset is exact.
var Beijing = time.FixedZone("CST", 8*3600)
