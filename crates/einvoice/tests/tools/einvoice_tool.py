#!/usr/bin/env python3
"""Independent side of the e-invoice tests (run from the project's .venv, see scripts/setup).

    einvoice_tool.py MANIFEST.json RESULT.json

MANIFEST is a list of jobs:
  {"xml": "a.xml", "pdf": "a.pdf", "level": "en16931"}   wrap a.xml into a Factur-X PDF/A-3
                                                         (factur-x package), then validate it
  {"xml": "b.xml", "flavor": "ubl"}                      validate a UBL Invoice / CreditNote
  {"drafthorse": "c.xml"}                                write an EN 16931 CII with drafthorse
                                                         (an independent writer), then validate

Validation = XSD (schemas shipped by the factur-x package) + the official Schematron compiled to
XSLT (Factur-X 1.09 profile schematrons, CEN EN 16931 UBL validation) run locally by Saxon-HE
(saxonche). Nothing leaves the machine. RESULT maps each XML/PDF path to
{"valid": bool, "errors": [[rule id, text], ...], "facts": {...}} (facts: drafthorse jobs).
"""

import io
import json
import os
import sys
from decimal import Decimal

import facturx
from facturx import facturx as fx
from lxml import etree
from pypdf import PdfWriter
from saxonche import PySaxonProcessor

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
XSLT_DIR = os.path.join(os.path.dirname(fx.__file__), "xsd_and_schematron")
CII_XSLT = {level: os.path.join(XSLT_DIR, path) for level, path in fx.FACTURX_LEVEL2schematron.items()}
UBL_XSLT = os.path.join(XSLT_DIR, fx.UBL_21_LEVEL2schematron["en16931"])

_proc = PySaxonProcessor(license=False)
_compiled = {}


def schematron(xml_bytes, xslt_path):
    exe = _compiled.get(xslt_path)
    if exe is None:
        exe = _proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=xslt_path)
        _compiled[xslt_path] = exe
    node = _proc.parse_xml(xml_text=xml_bytes.decode("utf-8-sig"))
    svrl = etree.fromstring(exe.transform_to_string(xdm_node=node).encode("utf-8"))
    errors = []
    for failed in svrl.iter(SVRL + "failed-assert"):
        flag = (failed.get("flag") or "fatal").lower()
        if flag in ("warning", "information", "info"):
            continue
        text = " ".join("".join(failed.itertext()).split())
        errors.append([failed.get("id") or "?", text[:300]])
    return errors


def validate(xml_bytes, flavor, level):
    errors = []
    try:
        fx.xml_check_xsd(xml_bytes, flavor=flavor, level=level)
    except Exception as err:  # the package raises a bare Exception with the schema's message
        errors.append(["XSD", " ".join(str(err).split())[:300]])
    xslt = UBL_XSLT if flavor.startswith("ubl") else CII_XSLT[level]
    errors += schematron(xml_bytes, xslt)
    return errors


def blank_pdf():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def ubl_flavor(xml_bytes):
    root = etree.fromstring(xml_bytes)
    return "ubl-2.1-creditnote" if etree.QName(root).localname == "CreditNote" else "ubl-2.1-invoice"


def drafthorse_invoice(path):
    """An EN 16931 invoice written by drafthorse: 2 lines at 20 % and 5.5 %, no allowance."""
    from datetime import date

    from drafthorse.models.accounting import ApplicableTradeTax
    from drafthorse.models.document import Document
    from drafthorse.models.party import TaxRegistration
    from drafthorse.models.tradelines import LineItem

    doc = Document()
    doc.context.guideline_parameter.id = "urn:cen.eu:en16931:2017"
    doc.header.id = "DH-2026-7"
    doc.header.type_code = "380"
    doc.header.issue_date_time = date(2026, 9, 30)
    seller = doc.trade.agreement.seller
    seller.name = "Imprimerie Drafthorse SAS"
    seller.legal_organization.id = ("0002", "732829320")
    seller.address.country_id = "FR"
    registration = TaxRegistration()
    registration.id = ("VA", "FR44732829320")
    seller.tax_registrations.add(registration)
    buyer = doc.trade.agreement.buyer
    buyer.name = "Cabinet Martin SAS"
    buyer.legal_organization.id = ("0002", "552081317")
    buyer.address.country_id = "FR"
    doc.trade.settlement.currency_code = "EUR"
    lines = [("Affiches", Decimal("10"), Decimal("12.40"), Decimal("20.00")),
             ("Brochures", Decimal("4"), Decimal("7.25"), Decimal("5.50"))]
    basis = {}
    for i, (name, qty, price, rate) in enumerate(lines, start=1):
        li = LineItem()
        li.document.line_id = str(i)
        li.product.name = name
        li.agreement.net.amount = price
        li.delivery.billed_quantity = (qty, "C62")
        li.settlement.trade_tax.type_code = "VAT"
        li.settlement.trade_tax.category_code = "S"
        li.settlement.trade_tax.rate_applicable_percent = rate
        net = (qty * price).quantize(Decimal("0.01"))
        li.settlement.monetary_summation.total_amount = net
        doc.trade.items.add(li)
        basis[rate] = basis.get(rate, Decimal("0")) + net
    vat_total = Decimal("0")
    breakdown = []
    for rate, base in basis.items():
        vat = (base * rate / 100).quantize(Decimal("0.01"))
        vat_total += vat
        tax = ApplicableTradeTax()
        tax.calculated_amount = vat
        tax.basis_amount = base
        tax.type_code = "VAT"
        tax.category_code = "S"
        tax.rate_applicable_percent = rate
        doc.trade.settlement.trade_tax.add(tax)
        breakdown.append([str(rate), str(base), str(vat)])
    total = sum(basis.values())
    s = doc.trade.settlement.monetary_summation
    s.line_total = total
    s.tax_basis_total = total
    s.tax_total = (vat_total, "EUR")
    s.grand_total = total + vat_total
    s.due_amount = total + vat_total
    xml = doc.serialize(schema="FACTUR-X_EN16931")
    with open(path, "wb") as f:
        f.write(xml)
    return {"number": "DH-2026-7", "basis": str(total), "vat": str(vat_total),
            "grand": str(total + vat_total), "breakdown": breakdown}


def main():
    manifest_path, result_path = sys.argv[1], sys.argv[2]
    with open(manifest_path) as f:
        jobs = json.load(f)
    results = {}
    pdf = None
    for job in jobs:
        if "drafthorse" in job:
            path = job["drafthorse"]
            facts = drafthorse_invoice(path)
            with open(path, "rb") as f:
                xml = f.read()
            errors = validate(xml, "factur-x", "en16931")
            results[path] = {"valid": not errors, "errors": errors, "facts": facts}
            continue
        with open(job["xml"], "rb") as f:
            xml = f.read()
        if "level" in job:
            level = job["level"]
            errors = validate(xml, "factur-x", level)
            results[job["xml"]] = {"valid": not errors, "errors": errors}
            if "pdf" in job:
                pdf = pdf or blank_pdf()
                out = facturx.generate_from_binary(pdf, xml, flavor="factur-x", level=level,
                                                   check_xsd=False)
                with open(job["pdf"], "wb") as f:
                    f.write(out)
                # Read back with the package's own reader: the PDF is what it expects.
                name, embedded = facturx.get_xml_from_pdf(out, check_xsd=False)
                ok = name == "factur-x.xml" and embedded == xml
                results[job["pdf"]] = {"valid": ok and not errors,
                                       "errors": errors if ok else [["PDF", f"read back {name}"]]}
        else:
            errors = validate(xml, ubl_flavor(xml), None)
            results[job["xml"]] = {"valid": not errors, "errors": errors}
    with open(result_path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
