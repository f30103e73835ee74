package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
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
// width, making it the first time (see ThumbnailURL). Thumbnails are made
// one at a time per Service, and once for concurrent requests of the
// same one.
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
	if err := s.checkKey(ctx, m); err != nil {
		return "", err
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
	_, err, _ = s.thumbs.Do(m.Disk+"\x00"+key, func() (any, error) {
		select { // one decode at a time: each may take MaxDecodeBytes
		case s.decoding <- struct{}{}:
			defer func() { <-s.decoding }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if _, err := disk.Stat(ctx, key); err == nil {
			return nil, nil // made while this request waited
		}
		return nil, s.makeThumbnail(ctx, disk, m, key, ct, width)
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

// makeThumbnail decodes, scales, encodes and stores one thumbnail.
func (s *Service) makeThumbnail(ctx context.Context, disk storage.Storage, m Media, key, ct string, width int) error {
	src, err := s.decode(ctx, disk, m)
	if err != nil {
		return err
	}
	b := src.Bounds()
	height := max(1, int(int64(b.Dy())*int64(width)/int64(b.Dx())))
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.BiLinear.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	var buf bytes.Buffer
	if ct == "image/png" {
		err = png.Encode(&buf, dst)
	} else {
		err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 82})
	}
	if err != nil {
		return fmt.Errorf("media: encoding a thumbnail: %w", err)
	}
	if _, err := disk.Put(ctx, key, &buf, storage.PutOptions{ContentType: ct}); err != nil {
		return fmt.Errorf("media: storing a thumbnail: %w", err)
	}
	return nil
}

// decode decodes a media's image after reading, from the very bytes it
// then decodes, a header that says the recorded size, within MaxPixels,
// whose pixels fit in MaxDecodeBytes (a decompression bomb allocates by
// its header).
func (s *Service) decode(ctx context.Context, disk storage.Storage, m Media) (image.Image, error) {
	rc, _, err := disk.Get(ctx, m.Key, nil)
	if err != nil {
		return nil, fmt.Errorf("media: reading media %d: %w", m.ID, err)
	}
	defer rc.Close()
	body := io.LimitReader(rc, m.Size)
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(body, &head))
	if err != nil {
		return nil, fmt.Errorf("%w: media %d's header: %v", ErrInvalid, m.ID, err)
	}
	w, h := int64(cfg.Width), int64(cfg.Height)
	switch {
	case w != m.Width || h != m.Height:
		return nil, fmt.Errorf("%w: media %d is %dx%d on disk, %dx%d recorded", ErrInvalid, m.ID, w, h, m.Width, m.Height)
	case w*h > s.opts.MaxPixels:
		return nil, fmt.Errorf("%w: %dx%d pixels is more than the %d a thumbnail is made from", ErrTooLarge, w, h, s.opts.MaxPixels)
	case w*h*bytesPerPixel(cfg.ColorModel) > s.opts.MaxDecodeBytes:
		return nil, fmt.Errorf("%w: decoding %dx%d pixels of this kind takes more than the %d bytes allowed", ErrTooLarge, w, h, s.opts.MaxDecodeBytes)
	}
	img, _, err := image.Decode(io.MultiReader(&head, body))
	if err != nil {
		return nil, fmt.Errorf("%w: decoding media %d: %v", ErrInvalid, m.ID, err)
	}
	return img, nil
}

// bytesPerPixel is what a decoded pixel of model takes, doubled for the
// models whose decoders keep a second buffer (interlaced PNG, progressive
// JPEG's coefficients).
func bytesPerPixel(model color.Model) int64 {
	switch model {
	case color.RGBA64Model, color.NRGBA64Model:
		return 16
	case color.GrayModel:
		return 2
	case color.Gray16Model:
		return 4
	case color.YCbCrModel, color.CMYKModel:
		return 8
	}
	if _, ok := model.(color.Palette); ok {
		return 2
	}
	return 8
}
