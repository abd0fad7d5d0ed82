// jlora's JShell start-up: the helpers every notebook cell has
import java.nio.file.*;
import io.jlora.magics.Lora;
import io.jlora.model.*;
import io.jlora.lora.*;
import static io.jlora.kernel.runtime.Display.*;
