package io.handoff.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Control commands by name: each has a usage line, a description and a handler. {@code help} and the answer to an
 * unknown command are generated from here, so the list a user sees is the list that exists.
 */
public final class CommandRegistry {
    /** Runs a command on the supervisor's loop thread; returns the answer's fields (merged into {"ok":true,...}). */
    @FunctionalInterface
    public interface Action {
        Map<String, Object> run(List<String> args) throws CommandException;
    }

    public record Command(String name, String usage, String description, Action action) {}

    /** A command was used wrongly; the message goes back to the caller, the supervisor carries on. */
    public static final class CommandException extends Exception {
        public CommandException(String message) { super(message); }
    }

    private final Map<String, Command> commands = new LinkedHashMap<>();

    public CommandRegistry add(String name, String usage, String description, Action action) {
        commands.put(name, new Command(name, usage, description, action));
        return this;
    }

    public CommandRegistry withHelp() {
        return add("help", "help", "list the commands", args -> {
            List<Object> list = new ArrayList<>();
            for (Command c : commands.values()) list.add(Json.object("usage", c.usage(), "description", c.description()));
            return Json.object("commands", list);
        });
    }

    /** Runs {@code line} ("scale 4"); never throws: errors become {"ok":false,"error":...}. */
    public Map<String, Object> execute(List<String> words) {
        if (words.isEmpty()) return error("empty command; try 'help'");
        Command c = commands.get(words.get(0));
        if (c == null) {
            return error("unknown command '" + words.get(0) + "'; commands: " + String.join(", ", commands.keySet()));
        }
        try {
            Map<String, Object> answer = Json.object("ok", true, "command", c.name());
            answer.putAll(c.action().run(words.subList(1, words.size())));
            return answer;
        } catch (CommandException e) {
            return error(c.name() + ": " + e.getMessage() + " (usage: " + c.usage() + ")");
        } catch (RuntimeException e) {
            return error(c.name() + " failed: " + e);
        }
    }

    public static Map<String, Object> error(String message) { return Json.object("ok", false, "error", message); }
}
