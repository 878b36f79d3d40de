import { describe, expect, it } from 'vitest';
import { matchesLabel, matchesLabels } from './labels.js';

const labels = { alertname: 'DatacenterErrorRateHigh', datacenter: 'east', severity: 'critical' };

describe('label matchers', () => {
  it('compares values with = and !=, a missing label being the empty string', () => {
    expect(matchesLabel({ label: 'datacenter', op: '=', value: 'east' }, labels)).toBe(true);
    expect(matchesLabel({ label: 'datacenter', op: '!=', value: 'east' }, labels)).toBe(false);
    expect(matchesLabel({ label: 'team', op: '=', value: '' }, labels)).toBe(true);
    expect(matchesLabel({ label: 'team', op: '!=', value: 'sre' }, labels)).toBe(true);
  });

  it('anchors =~ and !~ at both ends, as Prometheus does', () => {
    expect(
      matchesLabel({ label: 'alertname', op: '=~', value: 'DatacenterErrorRateHigh|BackboneDegraded' }, labels),
    ).toBe(true);
    expect(matchesLabel({ label: 'alertname', op: '=~', value: 'Datacenter' }, labels)).toBe(false);
    expect(matchesLabel({ label: 'alertname', op: '=~', value: 'Datacenter.*' }, labels)).toBe(true);
    expect(matchesLabel({ label: 'datacenter', op: '!~', value: 'ea' }, labels)).toBe(true);
    expect(matchesLabel({ label: 'datacenter', op: '!~', value: 'east|west' }, labels)).toBe(false);
  });

  it('needs every matcher to hold', () => {
    const when = [
      { label: 'alertname', op: '=~' as const, value: 'DatacenterErrorRateHigh|BackboneDegraded' },
      { label: 'datacenter', op: '=' as const, value: 'east' },
      { label: 'severity', op: '!=' as const, value: 'info' },
    ];
    expect(matchesLabels(when, labels)).toBe(true);
    expect(matchesLabels(when, { ...labels, severity: 'info' })).toBe(false);
    expect(matchesLabels(when, { ...labels, datacenter: 'west' })).toBe(false);
  });
});
