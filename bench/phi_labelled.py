"""Labelled PHI test data from generators vetter's authors did not write: `faker` or `mimesis`.

  python bench/phi_labelled.py --source faker|mimesis --rows N --seed S OUT_DIR

Writes OUT_DIR/named.csv (ordinary column names), OUT_DIR/neutral.csv (the same cells under
c01, c02, ...) and OUT_DIR/labels.jsonl: one line per labelled cell,
{"row": r, "col": c, "type": t, "variant": v, "n": count}, where r is the 0-based data row, c
the 0-based column, t a vetter PHI type name (`name`, `date_of_birth`, `date`, `phone`, `ssn`,
`email`, `street_address`, `city`, `zip`, `credit_card`, `ip_address`, `url`) and v how the
value was made (the generator's method, locale or date format). Cells with no line hold no
identifier: they are the near misses (EAN-13 barcodes, version strings, session UUIDs, lorem
sentences, company names, job titles, amounts). `bench/phi_score.sh` scores vetter (and
Presidio) against the labels.

The values are the generator's own; what this script chooses is the mix (which columns, which
formats a date is written in, the sentences identifiers are embedded in), fixed by the seed.
"""
import argparse, csv, datetime, json, os, random

# Date formats: month-first or textual (any column), day-first (the `admission_date` column only,
# so that column's order is decided from its values).
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%b %d %Y", "%d %B %Y", "%B %d, %Y", "%m-%d-%Y", "%d-%b-%Y", "%-m/%-d/%Y"]
DAY_FIRST_FORMATS = ["%d.%m.%Y", "%d/%m/%Y"]

# Sentences identifiers are embedded in (the free-text column). {name} {date} {phone} {email}
# {street} {city} {zip} {ssn} {card}; `{s}` is a generator sentence with no identifier.
TEMPLATES = [
    ("Patient {name} seen on {date}; follow up by phone {phone}. {s}", ["name", "date", "phone"]),
    ("{s} Spoke with {name} regarding results.", ["name"]),
    ("Called {name} at {phone}, no answer. {s}", ["name", "phone"]),
    ("{s} Next appointment {date}.", ["date"]),
    ("Mailed letter to {street}, {city} {zip}. {s}", ["street_address", "city", "zip"]),
    ("{s} Email sent to {email} on {date}.", ["email", "date"]),
    ("Emergency contact {name} ({phone}).", ["name", "phone"]),
    ("{s}", []),
    ("{s} {s}", []),
    ("Card on file {card}; billing address {street}. {s}", ["credit_card", "street_address"]),
    ("SSN {ssn} verified for {name}.", ["ssn", "name"]),
    ("Admitted {date}, discharged {date2}. {s}", ["date", "date"]),
    ("Lives in {city}. {s}", ["city"]),
    ("Referred by Dr. {last}. {s}", ["name"]),
    ("{name} reports feeling better since {date}.", ["name", "date"]),
]


class FakerSource:
    name = "faker"

    def __init__(self, seed):
        from faker import Faker

        self.f = Faker(["en_US", "en_GB", "en_CA"])
        Faker.seed(seed)
        self.us = self.f["en_US"]
        self.rng = random.Random(seed)

    def loc(self):
        # Mostly US data, some British and Canadian (their postcodes, phones and addresses).
        r = self.rng.random()
        return ("en_US", self.us) if r < 0.8 else ("en_GB", self.f["en_GB"]) if r < 0.9 else ("en_CA", self.f["en_CA"])

    def person(self):
        l, g = self.loc()
        return g.name(), l

    def last(self):
        return self.us.last_name()

    def dob(self):
        return self.us.date_of_birth(minimum_age=1, maximum_age=100)

    def date(self):
        return self.us.date_between(start_date="-30y", end_date="today")

    def phone(self):
        l, g = self.loc()
        return g.phone_number(), l

    def ssn(self):
        return self.us.ssn()

    def email(self):
        return self.us.email()

    def street(self):
        l, g = self.loc()
        return g.street_address(), l

    def city(self):
        l, g = self.loc()
        return g.city(), l

    def zip(self):
        l, g = self.loc()
        return g.postcode(), l

    def card(self):
        t = self.rng.choice(["visa16", "mastercard", "amex", "discover", "jcb15", "jcb16", "diners", "maestro", "visa13", "visa19"])
        return self.us.credit_card_number(card_type=t), t

    def ip(self):
        return (self.us.ipv4(), "ipv4") if self.rng.random() < 0.8 else (self.us.ipv6(), "ipv6")

    def url(self):
        return self.us.url()

    def sentence(self):
        return self.us.sentence()

    def company(self):
        return self.us.company()

    def job(self):
        return self.us.job()

    def ean(self):
        return self.us.ean13()

    def uuid(self):
        return self.us.uuid4()


class MimesisSource:
    name = "mimesis"

    def __init__(self, seed):
        from mimesis import Generic, Locale

        self.g = {l: Generic(locale=getattr(Locale, l.upper().replace("-", "_")), seed=seed + i) for i, l in enumerate(["en", "en-gb", "en-ca"])}
        self.us = self.g["en"]
        self.rng = random.Random(seed)

    def loc(self):
        r = self.rng.random()
        return ("en", self.us) if r < 0.8 else ("en-gb", self.g["en-gb"]) if r < 0.9 else ("en-ca", self.g["en-ca"])

    def person(self):
        l, g = self.loc()
        return g.person.full_name(), l

    def last(self):
        return self.us.person.last_name()

    def dob(self):
        return self.us.datetime.date(start=1925, end=2023)

    def date(self):
        return self.us.datetime.date(start=1996, end=2025)

    def phone(self):
        l, g = self.loc()
        return g.person.telephone(), l

    def ssn(self):
        # mimesis has no SSN provider for en: the SSA's format from its random digits.
        a = self.rng.choice([x for x in range(1, 900) if x != 666])
        return f"{a:03d}-{self.rng.randint(1, 99):02d}-{self.rng.randint(1, 9999):04d}"

    def email(self):
        return self.us.person.email()

    def street(self):
        l, g = self.loc()
        return g.address.address(), l

    def city(self):
        l, g = self.loc()
        return g.address.city(), l

    def zip(self):
        l, g = self.loc()
        return g.address.zip_code(), l

    def card(self):
        from mimesis.enums import CardType

        t = self.rng.choice([CardType.VISA, CardType.MASTER_CARD, CardType.AMERICAN_EXPRESS])
        return self.us.payment.credit_card_number(card_type=t), t.name.lower()

    def ip(self):
        return (self.us.internet.ip_v4(), "ipv4") if self.rng.random() < 0.8 else (self.us.internet.ip_v6(), "ipv6")

    def url(self):
        return self.us.internet.url()

    def sentence(self):
        return self.us.text.sentence()

    def company(self):
        return self.us.finance.company()

    def job(self):
        return self.us.person.occupation()

    def ean(self):
        return self.us.code.ean()

    def uuid(self):
        return str(self.us.cryptographic.uuid())


def fmt_date(d, f):
    if "%-" in f:  # no zero padding, portably
        return f.replace("%-m", str(d.month)).replace("%-d", str(d.day)).replace("%Y", str(d.year))
    return d.strftime(f)


# (named header, neutral-header-scored type or None for a near-miss column, value maker)
def columns(src, rng):
    def dated(g, formats):
        def make():
            f = rng.choice(formats)
            return fmt_date(g(), f), f
        return make

    def free():
        tpl, _ = rng.choice(TEMPLATES)
        types = []
        vals = {}
        text = tpl
        for key, maker, t in [
            ("{name}", lambda: src.person()[0], "name"),
            ("{last}", src.last, "name"),
            ("{date2}", lambda: fmt_date(src.date(), rng.choice(DATE_FORMATS)), "date"),
            ("{date}", lambda: fmt_date(src.date(), rng.choice(DATE_FORMATS)), "date"),
            ("{phone}", lambda: src.phone()[0], "phone"),
            ("{email}", src.email, "email"),
            ("{street}", lambda: src.street()[0], "street_address"),
            ("{city}", lambda: src.city()[0], "city"),
            ("{zip}", lambda: src.zip()[0], "zip"),
            ("{ssn}", src.ssn, "ssn"),
            ("{card}", lambda: src.card()[0], "credit_card"),
        ]:
            while key in text:
                text = text.replace(key, maker(), 1)
                types.append(t)
        while "{s}" in text:
            text = text.replace("{s}", src.sentence(), 1)
        return text, types

    return [
        ("patient_name", "name", lambda: src.person()),
        ("emergency_contact", "name", lambda: src.person()),
        ("guarantor", "name", lambda: src.person()),
        ("dob", "date_of_birth", dated(src.dob, DATE_FORMATS)),
        ("admission_date", "date", dated(src.date, DAY_FIRST_FORMATS)),
        ("ssn", "ssn", lambda: (src.ssn(), "ssn")),
        ("phone", "phone", lambda: src.phone()),
        ("email", "email", lambda: (src.email(), "email")),
        ("street", "street_address", lambda: src.street()),
        ("city", "city", lambda: src.city()),
        ("zip", "zip", lambda: src.zip()),
        ("card_number", "credit_card", lambda: src.card()),
        ("client_ip", "ip_address", lambda: src.ip()),
        ("website", "url", lambda: (src.url(), "url")),
        ("notes", "free", free),
        ("comment", None, lambda: (src.sentence(), "sentence")),
        ("employer", None, lambda: (src.company(), "company")),
        ("occupation", None, lambda: (src.job(), "job")),
        ("barcode", None, lambda: (src.ean(), "ean13")),
        ("session_id", None, lambda: (src.uuid(), "uuid")),
        ("app_version", None, lambda: (".".join(str(rng.randint(0, 20)) for _ in range(4)), "version")),
        ("amount", None, lambda: (f"{rng.uniform(1, 99999):.2f}", "amount")),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", choices=["faker", "mimesis"], default="faker")
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("out")
    a = ap.parse_args()
    src = FakerSource(a.seed) if a.source == "faker" else MimesisSource(a.seed)
    rng = random.Random(a.seed * 7919 + 1)
    cols = columns(src, rng)
    os.makedirs(a.out, exist_ok=True)
    named = csv.writer(open(os.path.join(a.out, "named.csv"), "w", newline=""))
    neutral = csv.writer(open(os.path.join(a.out, "neutral.csv"), "w", newline=""))
    labels = open(os.path.join(a.out, "labels.jsonl"), "w")
    named.writerow([c[0] for c in cols])
    neutral.writerow([f"c{i + 1:02d}" for i in range(len(cols))])
    for r in range(a.rows):
        row = []
        for c, (_, t, make) in enumerate(cols):
            if t == "free":
                v, types = make()
                counts = {}
                for x in types:
                    counts[x] = counts.get(x, 0) + 1
                for x, n in counts.items():
                    labels.write(json.dumps({"row": r, "col": c, "type": x, "variant": "free_text", "n": n}) + "\n")
            else:
                v, variant = make()
                if t is not None:
                    labels.write(json.dumps({"row": r, "col": c, "type": t, "variant": str(variant), "n": 1}) + "\n")
            # A value with a line break would be one cell still; keep cells on one line.
            row.append(str(v).replace("\n", ", "))
        named.writerow(row)
        neutral.writerow(row)


if __name__ == "__main__":
    main()
