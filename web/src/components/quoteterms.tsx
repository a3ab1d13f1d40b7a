/*
 * quoteterms.tsx - a quote's terms as its client reads them (the public
 * link and the portal): the response time and the hours of coverage in the
 * words the server wrote when the quote was saved or sent (coverage_text
 * "Mon–Fri 08:00–17:00 (Europe/Berlin)", response_text "within 4 working
 * hours": one formatter, src/quotes/terms.c, for these pages and the PDF),
 * the warranty, the qualifications and certifications promised. Nothing is
 * said of a technician without a certification.
 */
import { minutes } from "../lib/format";

export interface QuoteTermsData {
  response_time_minutes?: number | null;
  response_text?: string | null;
  coverage?: string | null;
  coverage_text?: string | null;
  warranty_days?: number | null;
  qualifications?: string | null;
  required_certifications?: string[] | null;
}

/* quotes written before the server kept the words */
const COVERAGE: Record<string, string> = {
  business_hours: "Business hours",
  extended: "Extended hours",
  "24x7": "Around the clock",
};

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function QuoteTerms({ quote: q }: { quote: QuoteTermsData }) {
  const response = q.response_text ? capital(q.response_text) : q.response_time_minutes ? `Within ${minutes(q.response_time_minutes)} of the hours covered` : null;
  const coverage = q.coverage_text ? capital(q.coverage_text) : q.coverage ? COVERAGE[q.coverage] ?? q.coverage : null;
  const certs = q.required_certifications ?? [];
  return (
    <dl class="terms-grid">
      {response && (
        <div>
          <dt>Response time</dt>
          <dd>{response}</dd>
        </div>
      )}
      {coverage && (
        <div>
          <dt>Hours of coverage</dt>
          <dd>{coverage}</dd>
        </div>
      )}
      {q.warranty_days ? (
        <div>
          <dt>Warranty</dt>
          <dd>{q.warranty_days} days</dd>
        </div>
      ) : null}
      {certs.length > 0 && (
        <div class="span-all">
          <dt>Technicians certified in</dt>
          <dd>{certs.join(", ")}</dd>
        </div>
      )}
      {q.qualifications && (
        <div class="span-all">
          <dt>Our technicians' qualifications</dt>
          <dd class="pre">{q.qualifications}</dd>
        </div>
      )}
    </dl>
  );
}
