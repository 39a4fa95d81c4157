import type {AlphaToggleData} from '../alpha-plugins.js'

export function renderAlphaToggle(data: AlphaToggleData, enable: boolean): string {
  const lines = [
    `${enable ? 'Enabled' : 'Disabled'}: ${data.plugins.join(', ')}. Enabled now: ${data.enabled.join(', ') || 'none'}.`,
  ]
  if (data.overridden_by) lines.push(`Note: ${data.overridden_by} is set and takes precedence over this setting.`)
  return lines.join('\n')
}
