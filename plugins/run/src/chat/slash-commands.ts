import type {Conversation} from './conversation.js'
import {saveTranscript} from './transcript.js'

export interface SlashContext {
  conversation: Conversation
  modelName: string
}

const HELP = `Commands:
  /clear            forget the conversation (the system prompt stays)
  /system <text>    set the system prompt (/system alone shows it, /system --clear removes it)
  /save <file>      save the conversation: JSON for a .json name, Markdown otherwise
  /help             this list
  exit, quit        leave (or Ctrl-D; Ctrl-C twice at an empty prompt)
Multi-line input: start a line with """ and end one with """.
Ctrl-C during an answer stops it.
`

/** Runs one `/command` line; returns the text to show (always ending with a newline). */
export async function runSlashCommand(line: string, context: SlashContext): Promise<string> {
  const match = /^\/(\S+)\s*([\s\S]*)$/.exec(line)
  const name = match?.[1]?.toLowerCase() ?? ''
  const rest = match?.[2]?.trim() ?? ''
  const {conversation} = context
  switch (name) {
    case '?':
    case 'help': {
      return HELP
    }

    case 'clear': {
      conversation.clear()
      return 'Cleared the conversation.\n'
    }

    case 'save': {
      if (rest === '') return 'Usage: /save <file> (.json for JSON, anything else for Markdown)\n'
      try {
        const saved = await saveTranscript(rest, context.modelName, conversation)
        return `Saved ${conversation.turns.length} turn(s) as ${saved.format} to ${saved.path}\n`
      } catch (error) {
        return `Could not save to ${rest}: ${error instanceof Error ? error.message : String(error)}\n`
      }
    }

    case 'system': {
      if (rest === '')
        return conversation.system ? `System prompt: ${conversation.system}\n` : 'No system prompt set.\n'
      if (rest === '--clear') {
        conversation.system = undefined
        return 'System prompt removed.\n'
      }

      conversation.system = rest
      return 'System prompt set.\n'
    }

    default: {
      return `Unknown command /${name}. Type /help for the list.\n`
    }
  }
}
