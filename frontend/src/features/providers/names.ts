/**
 * A machine-made message with each "provider 6" it names given as the provider's name
 * ("the offer expired: Priya Patel did not answer within 15 minutes"): the worker writes
 * ids, which a dispatcher would have to look up.
 */
export function nameProviders(text: string, name: (id: number) => string): string {
  return text.replace(/\bprovider (\d+)\b/g, (_, id: string) => name(Number(id)));
}
