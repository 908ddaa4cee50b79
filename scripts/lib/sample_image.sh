# shellcheck shell=bash
# The demo's sample image, made when its source folder has none (scripts/demo).

# make_sample_image FILE: a 4000x3000 pyramidal TIFF whose pixels show where they are: red grows
# to the right, green downwards, a zone plate in blue shows the quality of each downscale, a grid
# every 250 px with each 500 px crossing labelled with its coordinates, and a title in the middle.
make_sample_image() {
    local tmp w=4000 h=3000 cell=500 x y cells=() tw th sw
    tmp=$(mktemp -d)
    vips xyz "$tmp/xy.v" $w $h
    vips extract_band "$tmp/xy.v" "$tmp/x.v" 0
    vips extract_band "$tmp/xy.v" "$tmp/y.v" 1
    vips linear "$tmp/x.v" "$tmp/r.v" 0.06376 0 --uchar
    vips linear "$tmp/y.v" "$tmp/g.v" 0.085 0 --uchar
    vips zone "$tmp/zone.v" $w $h
    vips linear "$tmp/zone.v" "$tmp/b.v" 127.5 127.5 --uchar
    vips bandjoin "$tmp/r.v $tmp/g.v $tmp/b.v" "$tmp/rgb.v"
    vips black "$tmp/black.v" $w $h --bands 3
    vips linear "$tmp/black.v" "$tmp/white.v" 1 255 --uchar

    # The grid, 2 px lines blended 60 % towards white.
    vips remainder_const "$tmp/x.v" "$tmp/xm.v" 250
    vips remainder_const "$tmp/y.v" "$tmp/ym.v" 250
    vips relational_const "$tmp/xm.v" "$tmp/gx.v" less 2
    vips relational_const "$tmp/ym.v" "$tmp/gy.v" less 2
    vips boolean "$tmp/gx.v" "$tmp/gy.v" "$tmp/grid.v" or
    vips linear "$tmp/grid.v" "$tmp/grid60.v" 0.6 0 --uchar
    vips ifthenelse "$tmp/grid60.v" "$tmp/white.v" "$tmp/rgb.v" "$tmp/base.v" --blend

    # A text mask: one cell per crossing with its label, joined, then the title.
    for ((y = 0; y < h; y += cell)); do
        for ((x = 0; x < w; x += cell)); do
            vips text "$tmp/label.v" "<b>$x, $y</b>" --font "DejaVu Sans" --dpi 170
            vips embed "$tmp/label.v" "$tmp/cell_${x}_$y.v" 12 10 $cell $cell
            cells+=("$tmp/cell_${x}_$y.v")
        done
    done
    vips arrayjoin "${cells[*]}" "$tmp/labels.v" --across $((w / cell))
    vips text "$tmp/title.v" "<b>IIIF sample</b>" --font "DejaVu Sans" --dpi 1100
    vips text "$tmp/subtitle.v" "$w × $h pixels · pyramidal TIFF · 256 px JPEG tiles" \
        --font "DejaVu Sans" --dpi 300
    tw=$(vipsheader -f width "$tmp/title.v")
    th=$(vipsheader -f height "$tmp/title.v")
    sw=$(vipsheader -f width "$tmp/subtitle.v")
    vips insert "$tmp/labels.v" "$tmp/title.v" "$tmp/text1.v" $(((w - tw) / 2)) 1130
    vips insert "$tmp/text1.v" "$tmp/subtitle.v" "$tmp/text.v" $(((w - sw) / 2)) $((1160 + th))

    # White text on a dark halo, readable on any part of the gradient.
    vips gaussblur "$tmp/text.v" "$tmp/blur.v" 3
    vips linear "$tmp/blur.v" "$tmp/halo.v" 3 0 --uchar
    vips ifthenelse "$tmp/halo.v" "$tmp/black.v" "$tmp/base.v" "$tmp/dark.v" --blend
    vips ifthenelse "$tmp/text.v" "$tmp/white.v" "$tmp/dark.v" "$tmp/final.v" --blend
    vips copy "$tmp/final.v" "$tmp/sample.v" --interpretation srgb
    vips tiffsave "$tmp/sample.v" "$1" --tile --pyramid \
        --compression jpeg --tile-width 256 --tile-height 256
    rm -rf "$tmp"
}
