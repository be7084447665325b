#!/usr/bin/env bash
# A dependency-free line plot for the bench scripts (these machines have neither gnuplot nor
# matplotlib): reads "SERIES X Y" lines on stdin and writes an SVG that any browser opens.
#
# Usage: svgplot.sh OUT.svg TITLE XLABEL YLABEL [logx]
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: svgplot.sh OUT.svg TITLE XLABEL YLABEL [logx]" >&2; exit 2; }
out="$1" title="$2" xlabel="$3" ylabel="$4" logx="${5:-}"

awk -v title="$title" -v xlabel="$xlabel" -v ylabel="$ylabel" -v logx="$logx" '
  function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
  function fx(x) { return logx ? log(x) / log(10) : x }
  function px(x) { return L + (fx(x) - x0) / (x1 - x0) * (W - L - R) }
  function py(y) { return H - B - (y - y0) / (y1 - y0) * (H - T - B) }
  function nice(v,  e, f) { if (v <= 0) return 1; e = 10 ^ int(log(v) / log(10)); f = v / e
                            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e }
  NF >= 3 && $2 + 0 == $2 && $3 + 0 == $3 && (!logx || $2 > 0) {
    s = $1; if (!(s in seen)) { seen[s] = 1; order[++ns] = s }
    k = ++np[s]; X[s, k] = $2; Y[s, k] = $3
    if (first++ == 0 || fx($2) < x0) x0 = fx($2)
    if (first == 1 || fx($2) > x1) x1 = fx($2)
    if ($3 > ymax) ymax = $3
    if ($3 < ymin) ymin = $3
  }
  END {
    W = 720; H = 440; L = 80; R = 150; T = 40; B = 60
    if (first == 0) { x0 = 0; x1 = 1 }
    if (x1 == x0) x1 = x0 + 1
    step = nice((ymax - ymin) / 5); y1 = step * (int(ymax / step) + 1)
    y0 = ymin < 0 ? -step * (int(-ymin / step) + 1) : 0
    split("#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b", col, " ")
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>\n", L, esc(title)
    for (v = y0; v <= y1 + step / 2; v += step) {
      printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", L, W - R, py(v), py(v)
      printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6, py(v) + 4, v
    }
    if (logx) { for (e = int(x0); e <= x1 + 1e-9; e++) { v = 10 ^ e
        printf "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>", px(v), px(v), T, H - B
        printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px(v), H - B + 16, v } }
    else { xs = nice((x1 - x0) / 6); for (v = xs * int(x0 / xs); v <= x1 + xs / 2; v += xs) if (v >= x0) {
        printf "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>", px(v), px(v), T, H - B
        printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px(v), H - B + 16, v } }
    printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", L, T, W - L - R, H - T - B
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", (L + W - R) / 2, H - 18, esc(xlabel)
    printf "<text transform=\"translate(18,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>\n", (T + H - B) / 2, esc(ylabel)
    for (i = 1; i <= ns; i++) {
      s = order[i]; c = col[(i - 1) % 6 + 1]; pts = ""
      for (k = 1; k <= np[s]; k++) pts = pts sprintf("%.1f,%.1f ", px(X[s, k]), py(Y[s, k]))
      printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", c, pts
      if (np[s] <= 30) for (k = 1; k <= np[s]; k++)
        printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", px(X[s, k]), py(Y[s, k]), c
      printf "\n<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>", W - R + 12, W - R + 32, T + 10 + 18 * i, T + 10 + 18 * i, c
      printf "<text x=\"%d\" y=\"%d\">%s</text>\n", W - R + 38, T + 14 + 18 * i, esc(s)
    }
    print "</svg>"
  }' > "$out"
