#!/usr/bin/env python3
"""Writes the small sample PDF of examples/quy-iv-2023 (one A4 page of text, Helvetica,
no embedded fonts, so only ASCII). Run: python3 scripts/make-sample-pdf.py OUT.pdf"""
import sys

lines = [
    "BAN TUYEN GIAO TINH UY BAC KAN",
    "Ke hoach tuyen truyen quy IV/2023 (tai lieu mau cua Loa)",
    "",
    "1. Quan triet Nghi quyet Hoi nghi Trung uong den toan the dang vien.",
    "2. Tuyen truyen ky niem cac ngay le lon trong quy.",
    "3. Nam bat tinh hinh du luan xa hoi o co so, bao cao ve Ban.",
    "",
    "Tai lieu nay do du an Loa tao ra de minh hoa; khong phai van ban chinh thuc.",
]

def esc(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

text = "BT /F1 12 Tf 56 780 Td 16 TL\n" + "".join(f"({esc(l)}) Tj T*\n" for l in lines) + "ET\n"
objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    f"<< /Length {len(text.encode())} >>\nstream\n{text}endstream",
]
out = b"%PDF-1.4\n"
offsets = []
for i, body in enumerate(objects, start=1):
    offsets.append(len(out))
    out += f"{i} 0 obj\n{body}\nendobj\n".encode()
xref = len(out)
out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
for off in offsets:
    out += f"{off:010d} 00000 n \n".encode()
out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
open(sys.argv[1], "wb").write(out)
