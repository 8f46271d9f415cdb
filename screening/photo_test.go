package screening

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/zhangye-backstop/backstop"
)

func encoded(t *testing.T, format string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 6, 4))
	img.Set(2, 2, color.RGBA{10, 120, 200, 255})
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, img)
	case "jpeg":
		err = jpeg.Encode(&b, img, nil)
	case "gif":
		err = gif.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hugePNG is a PNG header claiming 30000×30000 pixels with no pixels
// behind it: a decode would allocate 3.6 GB.
func hugePNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 30000)
	binary.BigEndian.PutUint32(ihdr[4:], 30000)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestInspectPhoto(t *testing.T) {
	for _, f := range []string{"png", "jpeg", "gif"} {
		ct, cfg, err := InspectPhoto(encoded(t, f), 1<<20)
		if err != nil || ct != "image/"+f || cfg.Width != 6 || cfg.Height != 4 {
			t.Errorf("%s: %s %dx%d %v", f, ct, cfg.Width, cfg.Height, err)
		}
	}
	full := encoded(t, "png")
	for _, c := range []struct {
		what string
		data []byte
		code string
	}{
		{"a PDF named photo.jpg", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"), backstop.EUNSUPPORTED},
		{"text", []byte("这不是照片 — not an image"), backstop.EUNSUPPORTED},
		// Six bytes pass for a GIF header whose screen size is the next
		// four: refused by the pixel budget before any decode.
		{"GIF89a and text", []byte("GIF89a but not really an image"), backstop.ETOOLARGE},
		{"a PNG cut off after its header", full[:40], backstop.EUNSUPPORTED},
		{"nothing", nil, backstop.EUNSUPPORTED},
		{"a header claiming 900 megapixels", hugePNG(), backstop.ETOOLARGE},
		{"over the byte limit", append(full, make([]byte, 2048)...), backstop.ETOOLARGE},
	} {
		_, _, err := InspectPhoto(c.data, int64(len(full)+1024))
		if backstop.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.what, err, c.code)
			continue
		}
		if d := backstop.ErrorDetails(err); len(d) != 1 || d[0].Path != "photo" || d[0].ReasonZH == "" {
			t.Errorf("%s: the error does not name the field in Chinese: %+v", c.what, d)
		}
	}
}
