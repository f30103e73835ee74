package media

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"slices"
	"strconv"

	"golang.org/x/image/draw"

	"github.com/quarry-go/quarry/framework/storage"
)

// ThumbnailWidths are the widths, in pixels, Thumbnail makes.
var ThumbnailWidths = []int{160, 320, 640}

// ThumbnailURL returns the URL (as URL does) of a ready image's thumbnail
// of the given width (one of ThumbnailWidths), making the thumbnail the
// first time: decoded from the original (refused above Options.MaxPixels),
// scaled, encoded as JPEG (PNG for sources that may be transparent) and
// stored beside it on the disk. An image no wider than width is its own
// thumbnail.
func (s *Service) ThumbnailURL(ctx context.Context, m Media, width int) (string, error) {
	key, err := s.Thumbnail(ctx, m, width)
	if err != nil {
		return "", err
	}
	return s.objectURL(ctx, m, key)
}

// Thumbnail returns the key of a ready image's thumbnail of the given
// width, making it the first time (see ThumbnailURL).
func (s *Service) Thumbnail(ctx context.Context, m Media, width int) (string, error) {
	switch {
	case m.Status != Ready:
		return "", fmt.Errorf("%w: media %d is %s", ErrNotFound, m.ID, m.Status)
	case !m.IsImage() || !decodable(m.ContentType):
		return "", fmt.Errorf("%w: media %d is %s, not an image with a thumbnail", ErrInvalid, m.ID, m.ContentType)
	case !slices.Contains(ThumbnailWidths, width):
		return "", fmt.Errorf("%w: thumbnail width %d (one of %v)", ErrInvalid, width, ThumbnailWidths)
	case m.Width <= int64(width):
		return m.Key, nil
	case m.Width*m.Height > s.opts.MaxPixels:
		return "", fmt.Errorf("%w: %dx%d pixels is more than the %d a thumbnail is made from", ErrTooLarge, m.Width, m.Height, s.opts.MaxPixels)
	}
	disk, err := s.disk(m.Disk)
	if err != nil {
		return "", err
	}
	ext, ct := "jpg", "image/jpeg"
	if m.ContentType == "image/png" || m.ContentType == "image/gif" || m.ContentType == "image/webp" {
		ext, ct = "png", "image/png"
	}
	key := m.dir() + "_thumbs/" + strconv.Itoa(width) + "." + ext
	if _, err := disk.Stat(ctx, key); err == nil {
		return key, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return "", err
	}
	src, err := s.decode(ctx, disk, m)
	if err != nil {
		return "", err
	}
	b := src.Bounds()
	height := max(1, int(int64(b.Dy())*int64(width)/int64(b.Dx())))
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.BiLinear.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	var buf bytes.Buffer
	if ext == "png" {
		err = png.Encode(&buf, dst)
	} else {
		err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 82})
	}
	if err != nil {
		return "", fmt.Errorf("media: encoding a thumbnail: %w", err)
	}
	if _, err := disk.Put(ctx, key, &buf, storage.PutOptions{ContentType: ct}); err != nil {
		return "", fmt.Errorf("media: storing a thumbnail: %w", err)
	}
	return key, nil
}

// decode decodes a media's image, checking first that its header still
// says a size within MaxPixels (a decompression bomb allocates by it).
func (s *Service) decode(ctx context.Context, disk storage.Storage, m Media) (image.Image, error) {
	rc, _, err := disk.Get(ctx, m.Key, nil)
	if err != nil {
		return nil, fmt.Errorf("media: reading media %d: %w", m.ID, err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(io.LimitReader(rc, m.Size), 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("media: reading media %d: %w", m.ID, err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(head))
	switch {
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%w: media %d's header: %v", ErrInvalid, m.ID, err)
	case err == nil && int64(cfg.Width)*int64(cfg.Height) > s.opts.MaxPixels:
		return nil, fmt.Errorf("%w: %dx%d pixels is more than the %d a thumbnail is made from", ErrTooLarge, cfg.Width, cfg.Height, s.opts.MaxPixels)
	case err == nil && (int64(cfg.Width) != m.Width || int64(cfg.Height) != m.Height):
		return nil, fmt.Errorf("%w: media %d is %dx%d on disk, %dx%d recorded", ErrInvalid, m.ID, cfg.Width, cfg.Height, m.Width, m.Height)
	}
	img, _, err := image.Decode(br)
	if err != nil {
		return nil, fmt.Errorf("%w: decoding media %d: %v", ErrInvalid, m.ID, err)
	}
	return img, nil
}
