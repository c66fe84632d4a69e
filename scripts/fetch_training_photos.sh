#!/usr/bin/env bash
# Downloads the photographs among Debian's wallpaper packages, for StyleBank training content:
#   scripts/fetch_training_photos.sh [DEST]   (default .cache/training-photos)
# Only the files named in scripts/training-photos.txt are kept (most wallpapers are abstract art);
# WALLPAPERS=art keeps the rest instead (abstract art, paintings and gradients: AdaIN's extra styles),
# WALLPAPERS=paintings only those named in scripts/painted-wallpapers.txt (MUNIT's painting domain,
# with the shared paintings), WALLPAPERS=all (or ALL_WALLPAPERS=1) every raster image over 20 KB.
# `atelier train stylebank --content DIR` takes any folder of images (COCO works the same way).
set -euo pipefail
DEST=${1:-.cache/training-photos}
LIST="$(cd "$(dirname "$0")" && pwd)/training-photos.txt"
PAINTED="$(cd "$(dirname "$0")" && pwd)/painted-wallpapers.txt"
PACKAGES=(mate-backgrounds gnome-backgrounds plasma-workspace-wallpapers ukui-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04)
KEEP=${WALLPAPERS:-photos}; [ "${ALL_WALLPAPERS:-0}" = 1 ] && KEEP=all
mkdir -p "$DEST"
if [ -n "$(find "$DEST" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) -print -quit)" ]; then
  echo "training photos: $DEST present"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One package at a time, so a package this mirror lacks costs only its own photos. A machine whose
# apt lists were never fetched (fresh containers) knows no package at all: update them once.
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
apt-cache show mate-backgrounds >/dev/null 2>&1 || $SUDO apt-get update -qq || true
for package in "${PACKAGES[@]}"; do
  (cd "$tmp" && apt-get download "$package" >/dev/null 2>&1) || echo "training photos: $package not available, skipped"
done
compgen -G "$tmp/*.deb" >/dev/null || { echo "training photos: no package could be downloaded"; exit 1; }
for deb in "$tmp"/*.deb; do
  name=$(basename "$deb" | cut -d_ -f1)
  dpkg -x "$deb" "$tmp/$name"
  # Keep raster images only (skip SVG/XML), flattened into DEST/<package>/ with the path in the
  # name: several wallpapers ship the same file names (1920x1080.jpg, …) in their own folders.
  mkdir -p "$DEST/$name"
  (cd "$tmp/$name" && find . -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) -size +20k) |
    while read -r f; do
      kept="$name/$(echo "${f#./}" | tr '/' '_')"
      listed=0; grep -qxF "$kept" "$LIST" && listed=1
      case "$KEEP" in
        all) cp -n "$tmp/$name/$f" "$DEST/$kept" ;;
        art) [ "$listed" = 0 ] && cp -n "$tmp/$name/$f" "$DEST/$kept" || true ;;
        paintings) grep -qxF "$kept" "$PAINTED" && cp -n "$tmp/$name/$f" "$DEST/$kept" || true ;;
        *)   [ "$listed" = 1 ] && cp -n "$tmp/$name/$f" "$DEST/$kept" || true ;;
      esac
    done
  rmdir "$DEST/$name" 2>/dev/null || true
done
find "$DEST" -type f | wc -l | xargs echo "training photos in $DEST:"
