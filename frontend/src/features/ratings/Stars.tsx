/** Stars as text and for screen readers: "★★★★☆" read as "4 of 5 stars". */
export function Stars({ stars }: { stars: number }) {
  const n = Math.max(0, Math.min(5, Math.round(stars)));
  return (
    <span className="stars" role="img" aria-label={`${n} of 5 stars`}>
      {'★'.repeat(n)}
      <span className="stars__off">{'☆'.repeat(5 - n)}</span>
    </span>
  );
}

/** "4.7 ★ from 38 reviews", or "No reviews yet". */
export function ratingSummary(mean: number | null, count: number): string {
  if (!count || mean === null) return 'No reviews yet';
  return `${mean.toFixed(1)} ★ from ${count} review${count === 1 ? '' : 's'}`;
}
