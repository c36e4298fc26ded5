"""Presidio (regex and checksum recognizers only) on a generated export, scored against the
generator's ground truth (examples/phigen.rs). Benchmark only; not run by CI.
  target/presidio-venv/bin/python bench/presidio_eval.py sample.csv truth.jsonl
Offline: recognizers called without an NLP engine (spaCy models cannot be downloaded), and tldextract is given
no suffix-list URLs so it uses its bundled snapshot instead of fetching one.
Each CSV row (all fields joined by spaces) is analysed; results are mapped to the generator's
types and compared row by row, as examples/phigen.rs does for vetter."""
import csv, json, sys, time

import tldextract
tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer, EmailRecognizer, IpRecognizer, MedicalLicenseRecognizer, PhoneRecognizer,
    UrlRecognizer, UsSsnRecognizer)

MAP = {"US_SSN": "ssn", "PHONE_NUMBER": "phone", "EMAIL_ADDRESS": "email", "CREDIT_CARD": "credit_card",
       "IP_ADDRESS": "ip_address", "URL": "url", "MEDICAL_LICENSE": "dea"}
# The recognizers are called directly (no NLP artifacts): AnalyzerEngine insists on a spaCy
# model, which cannot be downloaded here. Context-word score boosting is therefore off.
recognizers = [UsSsnRecognizer(), PhoneRecognizer(), EmailRecognizer(), CreditCardRecognizer(), IpRecognizer(),
               UrlRecognizer(), MedicalLicenseRecognizer()]
entities = list(MAP)

def analyze(text):
    out = []
    for r in recognizers:
        out.extend(r.analyze(text=text, entities=r.supported_entities, nlp_artifacts=None) or [])
    return out
rows = list(csv.reader(open(sys.argv[1], newline="")))[1:]
truths = [json.loads(l) for l in open(sys.argv[2])]
size = sum(len(",".join(r)) + 1 for r in rows)
conf = {t: [0, 0, 0] for t in MAP.values()}
t0 = time.time()
for row, truth in zip(rows, truths):
    res = analyze(" ".join(row))
    found = {}
    for r in res:
        found[MAP[r.entity_type]] = found.get(MAP[r.entity_type], 0) + 1
    for t, c in conf.items():
        want, got = truth.get(t, 0), found.get(t, 0)
        c[0] += min(want, got); c[1] += max(0, got - want); c[2] += max(0, want - got)
dt = time.time() - t0
print("type\tplanted\ttp\tfp\tfn\tprecision\trecall")
for t, (tp, fp, fn) in conf.items():
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    print(f"{t}\t{tp+fn}\t{tp}\t{fp}\t{fn}\t{p:.4f}\t{r:.4f}")
print(f"presidio {len(rows)} rows, {size/1e6:.1f} MB in {dt:.1f} s = {size/1e6/dt:.3f} MB/s")
