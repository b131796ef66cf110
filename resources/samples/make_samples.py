"""Regenerate the sample library's PDF and DOCX files (the Markdown and HTML files are written by hand).

Run from the repository root: ``python resources/samples/make_samples.py``. Every text here was written
for Lampwright and is free to use. The PDF writer is deliberately tiny (one Type1 font, no compression)
so that the script needs nothing beyond python-docx.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent

LEASE_PAGES = [
    [
        "Harbour Street Tea Room - Commercial Lease (sample)",
        "",
        "1. Parties. This lease is made between Marlow Properties Ltd (the landlord) and Juniper Leaf",
        "Tea Company (the tenant) for the ground-floor shop at 14 Harbour Street.",
        "",
        "2. Term. The lease starts on 1 March and runs for three years.",
        "",
        "3. Rent. The tenant pays a monthly rent of 2,400 euros, in advance, on the first working",
        "day of each month. Late payments carry interest of 4 percent per year above the base rate.",
        "",
        "4. Deposit. A deposit equal to three months of rent is held by the landlord and returned",
        "within thirty days after the tenant leaves, less the cost of any damage.",
    ],
    [
        "5. Renewal. The lease renews automatically for a further five years unless either party",
        "gives written notice at least six months before the end of the term.",
        "",
        "6. Rent review. On renewal the rent is reviewed in line with the consumer price index,",
        "and never rises by more than 5 percent in one review.",
        "",
        "7. Repairs. The landlord keeps the roof, walls and drains in repair; the tenant looks after",
        "the shop front, the fittings and the kitchen equipment.",
        "",
        "8. Use. The premises may be used as a tea room and for selling loose-leaf tea and pottery.",
        "Live music needs the landlord's written consent.",
    ],
]

HANDBOOK = {
    "title": "Juniper Leaf Staff Handbook",
    "sections": [
        ("Working hours", [
            "The tea room opens from 8:00 to 18:00, Tuesday to Sunday. Shifts are published two weeks ahead.",
            "Staff who work more than six hours take a paid thirty-minute break.",
        ]),
        ("Holidays", [
            "Full-time staff receive twenty-five days of paid holiday each year, plus public holidays.",
            "Ask for holidays at least four weeks in advance; August requests are granted by seniority.",
        ]),
        ("Brewing standards", [
            "Green tea is brewed at 80 degrees for two minutes; black tea at 95 degrees for four minutes.",
            "Oolong may be infused three times; note each infusion on the pot card.",
        ]),
    ],
    "table": [["Role", "Hourly rate", "Uniform allowance"], ["Server", "14.50 EUR", "60 EUR"],
              ["Tea master", "18.00 EUR", "90 EUR"]],
}


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(path: Path, pages: list[list[str]], title: str) -> None:
    """A minimal multi-page PDF with Helvetica text lines and a document title."""
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    n = len(pages)
    font = 3 + 2 * n
    info = font + 1
    objs.append(f"<< /Type /Pages /Kids [{' '.join(f'{3 + 2 * i} 0 R' for i in range(n))}] /Count {n} >>".encode())
    for i, lines in enumerate(pages):
        body = "BT /F1 10 Tf 14 TL 60 770 Td " + " ".join(f"({_esc(line)}) Tj T*" for line in lines) + " ET"
        stream = body.encode("latin-1")
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 {font} 0 R >> >> "
            f"/Contents {4 + 2 * i} 0 R >>".encode()
        )
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objs.append(f"<< /Title ({_esc(title)}) /Producer (Lampwright make_samples.py) >>".encode())
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for num, body_bytes in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{num} 0 obj\n".encode() + body_bytes + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))


def write_docx(path: Path) -> None:
    """The staff handbook as a DOCX with headings, paragraphs and a pay table."""
    import docx

    d = docx.Document()
    d.core_properties.title = HANDBOOK["title"]
    d.add_heading(HANDBOOK["title"], level=0)
    for heading, paras in HANDBOOK["sections"]:
        d.add_heading(heading, level=1)
        for p in paras:
            d.add_paragraph(p)
    d.add_heading("Pay", level=1)
    rows = HANDBOOK["table"]
    t = d.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            t.cell(r, c).text = cell
    d.save(str(path))


def main() -> None:
    """Write lease.pdf and staff-handbook.docx next to this script."""
    write_pdf(HERE / "harbour-street-lease.pdf", LEASE_PAGES, "Harbour Street Tea Room - Commercial Lease")
    write_docx(HERE / "staff-handbook.docx")
    print(textwrap.dedent(f"wrote samples into {HERE}"))


if __name__ == "__main__":
    main()
