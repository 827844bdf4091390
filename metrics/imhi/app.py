import evaluate
from evaluate.utils import launch_gradio_widget

module = evaluate.load("phyassist/imhi")
launch_gradio_widget(module)
