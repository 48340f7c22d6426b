/**
 * Labels and help texts of every form field the pages show (dataset, prebuilt, data-extension,
 * model and inference forms), keyed by the parsers' field names. The wording follows the
 * labels and `tooltip=` texts of DIGITS' WTForms declarations and templates, rewritten where they
 * were unclear, and says where DIGITS-TS differs (DATA_ROOTS, TF.js, no uploaded code).
 * A name used by several forms has one entry that fits all of them. Data only.
 */

export interface FieldHelp {
  /** Short label shown next to the input ("Image Width"). */
  label: string;
  /** One to three sentences: what it does, its unit/range and default. */
  help: string;
}

/** Said by every field that names a path on the server. */
const IN_ROOTS = 'It must be an absolute path inside one of the folders listed in DATA_ROOTS; URLs are not fetched.';
const MIN_PER_CLASS = 'Classes with fewer images than this are left out of the set. At least 1, default 2; blank means 1.';
const MAX_PER_CLASS = 'Classes with more images than this keep only this many; the rest are left out. At least 1 and not below the minimum; blank means no limit.';
const LIST_FORMAT = 'One image per line: a path, then whitespace and the numeric label (0-based) of its class.';
const HSV_SHIFT = 'of the random normal shift applied to each training image, on a 0–1 pixel scale. 0 to 0.5';

export const FIELD_HELP: Readonly<Record<string, FieldHelp>> = {
  // ---- shared by the dataset, prebuilt, data-extension and model forms
  dataset_name: { label: 'Dataset Name', help: 'A name for the new dataset, shown in the job lists and on its page. Required.' },
  group_name: { label: 'Group Name', help: 'An optional group name; jobs with the same group are shown together on the home page.' },
  method: {
    label: 'Type',
    help: 'Where the job\'s input comes from. For an image-classification dataset: "folder" (default, one subfolder per class) or "textfile" (image lists); a prebuilt dataset is always "prebuilt"; for a model it names the network: "standard" (default), "previous" (fine-tune another model), "custom" or "pretrained" (start from an imported pretrained model). DIGITS\' "s3" datasets are not supported.',
  },

  // ---- image-classification dataset (contract §6.1)
  resize_channels: { label: 'Image Type', help: 'Color stores 3-channel RGB images; grayscale stores single-channel images. Every image is converted to this. Default color.' },
  resize_width: { label: 'Resize Width', help: 'Width in pixels that every image is resized to when the dataset is built. Required, default 256.' },
  resize_height: { label: 'Resize Height', help: 'Height in pixels that every image is resized to when the dataset is built. Required, default 256.' },
  resize_mode: {
    label: 'Resize Transformation',
    help: 'How an image whose aspect ratio differs from the target is resized: "squash" (default) stretches it, "crop" scales and cuts off the overflow, "fill" scales it to fit and fills the border with random noise, "half_crop" does half of each.',
  },
  encoding: { label: 'Image Encoding', help: 'How images are stored in the database: PNG (lossless, default), JPEG (lossy, 90% quality) or none (raw pixels). PNG and JPEG save disk space but cost a little time when training reads them.' },
  backend: { label: 'DB Backend', help: 'The database format. Only LMDB (the default) is built by DIGITS-TS; HDF5 is refused.' },
  compression: { label: 'DB Compression', help: 'Compression of the database files. LMDB databases are never compressed, so this is always "none" (gzip applied only to HDF5 in DIGITS).' },
  folder_train: {
    label: 'Training Images',
    help: `A folder holding one subfolder per class, each named after its class label and full of that class's images. ${IN_ROOTS} Required when the type is folder.`,
  },
  folder_pct_val: { label: '% for Validation', help: 'Percentage of the training folder\'s images (or image pairs) set apart as the validation set. 0 to 100, default 25 (10 for an image-processing dataset); ignored when a separate validation folder is given.' },
  folder_pct_test: { label: '% for Testing', help: 'Percentage of the training folder\'s images set apart as the test set. 0 to 100, default 0; validation plus test may not exceed 100.' },
  folder_train_min_per_class: { label: 'Minimum Samples per Class', help: MIN_PER_CLASS },
  folder_train_max_per_class: { label: 'Maximum Samples per Class', help: MAX_PER_CLASS },
  has_val_folder: { label: 'Separate Validation Folder', help: 'Take the validation set from a folder of its own instead of from the training folder. Default off.' },
  folder_val: { label: 'Validation Images', help: `A folder laid out like the training folder (one subfolder per class) holding the validation images. ${IN_ROOTS} Required when a separate validation folder is chosen.` },
  folder_val_min_per_class: { label: 'Minimum Samples per Class', help: MIN_PER_CLASS },
  folder_val_max_per_class: { label: 'Maximum Samples per Class', help: MAX_PER_CLASS },
  has_test_folder: { label: 'Separate Test Folder', help: 'Take the test set from a folder of its own instead of from the training folder. Default off.' },
  folder_test: { label: 'Test Images', help: `A folder laid out like the training folder (one subfolder per class) holding the test images. ${IN_ROOTS} Required when a separate test folder is chosen.` },
  folder_test_min_per_class: { label: 'Minimum Samples per Class', help: MIN_PER_CLASS },
  folder_test_max_per_class: { label: 'Maximum Samples per Class', help: MAX_PER_CLASS },
  textfile_use_local_files: { label: 'Use Server Files', help: 'Read the image lists and labels file from paths on the server instead of uploading them. Default off (upload).' },
  textfile_train_images: { label: 'Training Images', help: `Upload the list of training images. ${LIST_FORMAT} Required unless server files are used.` },
  textfile_local_train_images: { label: 'Training Images', help: `Server path of the list of training images. ${LIST_FORMAT} ${IN_ROOTS}` },
  textfile_train_folder: { label: 'Training Images Folder', help: `Optional folder that relative paths in the training list are read from. ${IN_ROOTS}` },
  textfile_use_val: { label: 'Validation Set', help: 'Build a validation set from a second list. The page ticks it; a request that leaves it out gets no validation set.' },
  textfile_val_images: { label: 'Validation Images', help: 'Upload the list of validation images, in the same format as the training list. Required when a validation set is asked for and server files are not used.' },
  textfile_local_val_images: { label: 'Validation Images', help: `Server path of the list of validation images, in the same format as the training list. ${IN_ROOTS}` },
  textfile_val_folder: { label: 'Validation Images Folder', help: `Optional folder that relative paths in the validation list are read from. ${IN_ROOTS}` },
  textfile_use_test: { label: 'Test Set', help: 'Build a test set from a third list. Default off.' },
  textfile_test_images: { label: 'Test Images', help: 'Upload the list of test images, in the same format as the training list. Required when a test set is asked for and server files are not used.' },
  textfile_local_test_images: { label: 'Test Images', help: `Server path of the list of test images, in the same format as the training list. ${IN_ROOTS}` },
  textfile_test_folder: { label: 'Test Images Folder', help: `Optional folder that relative paths in the test list are read from. ${IN_ROOTS}` },
  textfile_shuffle: { label: 'Shuffle Lines', help: 'Shuffle the lines of each list before the database is written. Yes (1, default) or no (0).' },
  textfile_labels_file: { label: 'Labels', help: 'Upload the labels file: line i names the class with numeric label i−1 (line 1 is label 0). Required unless a server file is given.' },
  textfile_local_labels_file: { label: 'Labels', help: `Server path of the labels file: line i names the class with numeric label i−1 (line 1 is label 0). ${IN_ROOTS}` },

  // ---- prebuilt LMDB dataset (§7.4)
  prebuilt_train_images: { label: 'Training Images', help: `An existing LMDB folder holding the training images. ${IN_ROOTS} Required.` },
  prebuilt_train_labels: { label: 'Training Labels', help: `Optional LMDB folder holding a label array per training image, with the same keys. ${IN_ROOTS}` },
  prebuilt_val_images: { label: 'Validation Images', help: `Optional LMDB folder holding the validation images; required when validation labels are given. ${IN_ROOTS}` },
  prebuilt_val_labels: { label: 'Validation Labels', help: `Optional LMDB folder holding a label array per validation image. ${IN_ROOTS}` },
  prebuilt_mean_file: { label: 'Mean Image', help: `Optional mean image as a Caffe .binaryproto file. ${IN_ROOTS}` },
  force_same_shape: { label: 'Enforce Same Shape', help: 'Check that every entry of the databases has the same shape (this reads them all and can take a while). Yes (1, default) or no (0).' },

  // ---- generic data-extension datasets (§7.2)
  dsopts_feature_encoding: { label: 'Feature Encoding', help: 'How feature images are stored: PNG (lossless, default), JPEG (lossy, 90% quality) or none (raw values). PNG and JPEG save disk space but cost a little time when training reads them.' },
  dsopts_label_encoding: { label: 'Label Encoding', help: 'How label arrays are stored: none (raw values, default), PNG or JPEG. Only image-like labels gain from PNG or JPEG.' },
  dsopts_batch_size: { label: 'Encoder Batch Size', help: 'Entries are generated and encoded in batches of this many. At least 1, default 32.' },
  dsopts_num_threads: { label: 'Number of Encoder Threads', help: 'How many encoders work in parallel while the database is built. At least 1, default 4.' },
  dsopts_backend: { label: 'DB Backend', help: 'The database format; LMDB is the only one.' },
  dsopts_force_same_shape: { label: 'Enforce Same Shape', help: 'Check that every entry has the same shape; turning this off also turns off the mean image. Yes (1, default) or no (0).' },

  // ---- image-gradients extension: dataset form and inference form (§7.3)
  train_image_count: { label: 'Train Image Count', help: 'How many gradient images to generate for the training set. At least 1, default 1000.' },
  val_image_count: { label: 'Validation Image Count', help: 'How many gradient images to generate for the validation set. 0 or more, default 250.' },
  test_image_count: {
    label: 'Test Image Count',
    help: 'How many gradient images to generate for testing. In a new dataset: the size of its test set (0 or more, default 0). When testing a model: that many random images (at most 1000) are generated and run; leave it blank to run one image with the gradients given.',
  },
  image_width: { label: 'Image Width', help: 'Width in pixels of the generated images. Required, default 32.' },
  image_height: { label: 'Image Height', help: 'Height in pixels of the generated images. Required, default 32.' },
  gradient_x: { label: 'Gradient (x)', help: 'Horizontal slope of the test image: how fast brightness changes from left to right. −0.5 to 0.5, default 0.' },
  gradient_y: { label: 'Gradient (y)', help: 'Vertical slope of the test image: how fast brightness changes from top to bottom. −0.5 to 0.5, default 0.' },

  // ---- image-processing extension: paired input/label image folders (§7.5)
  feature_folder: { label: 'Feature Image Folder', help: `The folder of input images (searched recursively). Each one is paired with the label image of the same base name; both folders must sort alike. ${IN_ROOTS} Required.` },
  label_folder: { label: 'Label Image Folder', help: `The folder of target images, one per input image with the same base name (the extension may differ). ${IN_ROOTS} Required.` },
  validation_feature_folder: { label: 'Validation Feature Image Folder', help: `The input images of the validation set, when a separate validation folder is chosen. ${IN_ROOTS}` },
  validation_label_folder: { label: 'Validation Label Image Folder', help: `The target images of the validation set, when a separate validation folder is chosen. ${IN_ROOTS}` },
  channel_conversion: { label: 'Channel Conversion', help: 'Converts both input and label images: RGB (3 channels), L (grayscale) or none (default: as loaded). Images are never resized. A segmentation dataset converts its input images only.' },

  // ---- image-segmentation extension: label images of class indices (§7.6)
  class_labels_file: { label: 'Class Labels', help: `Optional text file of class names, one per line (line 1 names class 0); shown in the segmentation view's legend. ${IN_ROOTS}` },
  colormap_method: { label: 'Color Map Specification', help: 'How label pixels become class indices: label (default) reads single-channel label images (paletted or grayscale) whose pixel value is the class; textfile maps RGB label images through the colour map file.' },
  colormap_text_file: { label: 'Color Map Text File', help: `With the textfile method: one class per line as three integers "R G B" (line 1 is class 0); each label pixel takes the class of the nearest colour. ${IN_ROOTS} Required with textfile.` },

  // ---- image-object-detection extension: KITTI-labelled image folders (§7.7)
  train_image_folder: { label: 'Training image folder', help: `The training images (searched recursively). ${IN_ROOTS} Required.` },
  train_label_folder: { label: 'Training label folder', help: `One KITTI label file <image name>.txt per training image (not searched recursively). ${IN_ROOTS} Required.` },
  val_image_folder: { label: 'Validation image folder', help: `The validation images; required when a validation label folder is given. ${IN_ROOTS}` },
  val_label_folder: { label: 'Validation label folder', help: `The validation KITTI label files; required when a validation image folder is given. ${IN_ROOTS}` },
  padding_image_width: { label: 'Pad image (Width)', help: 'Each image is pasted at the top left of a black canvas this wide (default 1248); blank (with the height) for no padding.' },
  padding_image_height: { label: 'Pad image (Height)', help: 'Height of the padding canvas (default 384); blank (with the width) for no padding.' },
  resize_image_width: { label: 'Resize image (Width)', help: 'After padding, images (and their boxes) are squashed to this width; blank (with the height) to keep the size.' },
  resize_image_height: { label: 'Resize image (Height)', help: 'After padding, images (and their boxes) are squashed to this height; blank (with the width) to keep the size.' },
  val_min_box_size: { label: 'Minimum box size (validation)', help: 'Validation objects narrower or shorter than this are relabelled "dontcare" (class 0). Required; 0 disables; default 25.' },
  custom_classes: { label: 'Custom classes', help: 'Comma-separated class names replacing the default KITTI class table: the first gets id 0 (dontcare), the next 1, and so on; other types become 0.' },

  // ---- model form (§8.1)
  model_name: { label: 'Model Name', help: 'A name for the new model, shown in the job lists and on its page. Required; a sweep adds the swept values to it.' },
  dataset: { label: 'Select Dataset', help: 'The dataset to train on: one that is built or being built, of the kind this model page takes. Required.' },
  framework: {
    label: 'Framework',
    help: 'The framework the network is written for: "tensorflow", "caffe" or "torch". Training always runs on TensorFlow.js in the workers; the choice is kept with the model and shown in its JSON.',
  },
  standard_networks: { label: 'Standard Networks', help: 'A built-in network: LeNet (28×28 grayscale, e.g. MNIST), AlexNet or GoogLeNet (256×256 color). Required when the network type is standard; generic models have none.' },
  previous_networks: { label: 'Previous Networks', help: 'An existing model of the same kind to start from; its network is reused and its weights are loaded from the snapshot chosen beside it (0: no weights, −1: newest). Required when the network type is previous.' },
  pretrained_networks: { label: 'Pretrained Networks', help: 'A pretrained-model job (imported with /pretrained_models/new or upload_archive) whose weights the training starts from; layers whose shapes differ (a classifier for another number of classes) start fresh.' },
  custom_network: {
    label: 'Custom Network',
    help: 'The network definition as text: a TensorFlow.js/Keras layers model as JSON, or a Caffe prototxt. Lua (Torch) and Python (TensorFlow) definitions are code and are refused. Required when the network type is custom.',
  },
  custom_network_snapshot: { label: 'Pretrained Model(s)', help: 'Paths to weight files to start a custom network from. Not supported by DIGITS-TS (leave it blank); fine-tune a previous model instead.' },
  python_layer_from_client: { label: 'Use Client-Side File', help: 'Upload a Python file of Caffe layer definitions. DIGITS-TS never runs uploaded code, so Python layers are refused; leave it off.' },
  python_layer_client_file: { label: 'Client-Side File', help: 'A Python file of layer definitions to upload. Refused: DIGITS-TS never runs uploaded code.' },
  python_layer_server_file: { label: 'Server-Side File', help: 'A Python file of layer definitions on the server. Refused: DIGITS-TS never runs Python layers; leave it blank.' },
  train_epochs: { label: 'Training Epochs', help: 'How many passes through the training data. At least 1, default 30.' },
  snapshot_interval: { label: 'Snapshot Interval (epochs)', help: 'How many epochs of training between saved snapshots of the weights; fractions are allowed. 0 or more, default 1.' },
  val_interval: { label: 'Validation Interval (epochs)', help: 'How many epochs of training between passes over the validation set; fractions are allowed. 0 or more, default 1.' },
  traces_interval: { label: 'Tracing Interval (steps)', help: 'DIGITS wrote a TensorFlow timeline trace every this many steps. Accepted for compatibility (0 or more, default 0) but no traces are recorded.' },
  random_seed: { label: 'Random Seed', help: 'With a seed, two runs of the same model on the same dataset give the same results. Optional, 0 or more; blank picks a new seed each run.' },
  batch_size: { label: 'Batch Size', help: 'How many images are processed at once. Blank uses the network\'s own value; several comma-separated values train one model per value (a sweep).' },
  batch_accumulation: { label: 'Batch Accumulation', help: 'Accumulate gradients over this many batches before each update, for an effective batch larger than fits in memory. Optional, at least 1; blank means 1.' },
  solver_type: { label: 'Solver Type', help: 'The optimiser: SGD (default), Nesterov, Momentum, AdaGrad, RMSprop, AdaDelta or Adam. AdaGradDA and FTRL have no TensorFlow.js optimiser and are refused.' },
  rms_decay: { label: 'RMS Decay Value', help: 'RMSprop only: the decay rate of the moving average of squared gradients. 0 or more, default 0.99.' },
  learning_rate: { label: 'Base Learning Rate', help: 'How quickly the network learns; if the loss turns into NaN, lower it. 0 or more, default 0.01; several comma-separated values train one model per value (a sweep).' },
  lr_policy: { label: 'Policy', help: 'How the learning rate changes over training: fixed, step down (default), step down at arbitrary steps, exponential, inverse, polynomial or sigmoid decay.' },
  lr_step_size: { label: 'Step Size', help: 'Step down: the rate is multiplied by gamma every this many percent of training. Above 0, default 33.' },
  lr_step_gamma: { label: 'Gamma', help: 'Step down: the factor the rate is multiplied by at each step. Default 0.1.' },
  lr_multistep_values: { label: 'Step Values', help: 'Step down at arbitrary steps: comma-separated percentages of training at which the rate is multiplied by gamma, e.g. 50,85 (the page\'s default).' },
  lr_multistep_gamma: { label: 'Gamma', help: 'Step down at arbitrary steps: the factor the rate is multiplied by at each step value. Default 0.5.' },
  lr_exp_gamma: { label: 'Gamma', help: 'Exponential decay: the rate is multiplied by gamma for every percent of training. Default 0.95.' },
  lr_inv_gamma: { label: 'Gamma', help: 'Inverse decay: rate = base × (1 + gamma × percent of training)^−power. Default 0.1.' },
  lr_inv_power: { label: 'Power', help: 'Inverse decay: the power in rate = base × (1 + gamma × percent of training)^−power. Default 0.5.' },
  lr_poly_power: { label: 'Power', help: 'Polynomial decay: rate = base × (1 − progress)^power, reaching 0 at the end of training. Default 3.' },
  lr_sigmoid_step: { label: 'Step', help: 'Sigmoid decay: the percentage of training at which the rate has fallen to half. Default 50.' },
  lr_sigmoid_gamma: { label: 'Gamma', help: 'Sigmoid decay: how steeply the rate falls around the step. Default 0.1.' },
  shuffle: { label: 'Shuffle Train Data', help: 'Shuffle the training data before every epoch. The page ticks it; a request that leaves it out trains unshuffled.' },
  select_gpu: { label: 'GPU', help: '"next" (default) takes whichever GPU is free next, or a GPU index asks for that one. With no GPU a worker trains on its CPU.' },
  select_gpus: { label: 'GPUs', help: 'The GPU indices to train on. The job waits until all of them are free, and a live training worker must have them.' },
  select_gpus_list: { label: 'GPU List', help: 'The GPU indices to train on as a comma-separated list, e.g. 0,1; overrides the GPUs selected above.' },
  select_gpu_count: { label: 'Number of GPUs', help: 'How many GPUs to train on when none are named: 2 or more train data-parallel on one worker that has that many. At least 1, default 1.' },
  crop_size: { label: 'Crop Size', help: 'If set, training takes a random square crop of this many pixels from each image (inference uses the whole image scaled to it). Optional, at least 1 and not above the dataset\'s image height or width.' },
  use_mean: { label: 'Subtract Mean', help: 'Subtract the dataset\'s mean image ("image", default) or its mean pixel ("pixel") from every input, or nothing ("none").' },
  aug_flip: { label: 'Flipping', help: 'Randomly flip each training image: horizontally, vertically, either, or not at all (default). DIGITS-TS applies every augmentation whatever the framework.' },
  aug_quad_rot: { label: 'Quadrilateral Rotation', help: 'Randomly rotate each training image by a multiple of 90°: 0/90/270, 0/180, any of the four, or not at all (default).' },
  aug_rot: { label: 'Rotation (± deg)', help: 'Rotate each training image by a random angle up to this many degrees either way. 0 to 180, default 0 (off).' },
  aug_scale: { label: 'Rescale (stddev)', help: 'Zoom each training image in or out at random, keeping its size, with this standard deviation. 0 to 1, default 0 (off); 0.07 is a good start.' },
  aug_noise: { label: 'Noise (stddev)', help: 'Add Gaussian noise of this standard deviation to each training image, on a 0–1 pixel scale. 0 to 1, default 0 (off); 0.03 is a good start.' },
  aug_contrast: { label: 'Contrast (factor)', help: 'Per channel, move each pixel away from or towards the channel mean by a random factor between 1 − f and 1 + f. 0 to 5, default 0 (off); 0.8 is a good start.' },
  aug_whitening: { label: 'Whitening', help: 'Standardise each image by subtracting its own mean and dividing by its own standard deviation. Default off.' },
  aug_hsv_use: { label: 'HSV Shifting', help: 'Shift hue, saturation and value of each training image by random normal amounts (set below), on a 0–1 pixel scale. Default off.' },
  aug_hsv_h: { label: 'Hue', help: `Standard deviation ${HSV_SHIFT}, default 0.02.` },
  aug_hsv_s: { label: 'Saturation', help: `Standard deviation ${HSV_SHIFT}, default 0.04.` },
  aug_hsv_v: { label: 'Value', help: `Standard deviation ${HSV_SHIFT}, default 0.06.` },

  // ---- pretrained models (§4.4)
  job_name: { label: 'Model Name', help: 'A name for the imported model, shown in the pretrained-model list and in the model forms. Required.' },
  image_type: { label: 'Image Type', help: 'The images the network takes: "3" color (default) or "1" grayscale. A deploy.prototxt that declares its input shape decides this itself.' },
  width: { label: 'Width', help: 'Width in pixels images are resized to before the network sees them, 1 to 4096, default 224. A deploy.prototxt that declares its input shape decides this itself.' },
  height: { label: 'Height', help: 'Height in pixels images are resized to before the network sees them, 1 to 4096, default 224. A deploy.prototxt that declares its input shape decides this itself.' },
  weights_file: { label: 'Weights (.caffemodel)', help: 'The trained weights: a Caffe .caffemodel (binary NetParameter, V1 or V2). Its layers are matched to the network by name. Required.' },
  model_def_file: { label: 'Model Definition (deploy.prototxt)', help: 'The network as Caffe prototxt, usually the deploy.prototxt that came with the weights (an input declaration, no data or loss layers). Required.' },
  labels_file: { label: 'Labels File (optional)', help: 'A text file with one class name per line, in the order of the network\'s outputs. Without it the model still classifies, by index.' },
  archive: { label: 'Model Archive', help: 'A model archive as downloaded from a model page (tar, tar.gz, tar.bz2 or zip holding info.json), or a Caffe archive whose info.json names its .caffemodel and prototxt.' },

  // ---- inference forms (§10)
  job_id: { label: 'Model', help: 'The id of the model to run. Required.' },
  snapshot_epoch: { label: 'Select Model', help: 'Which snapshot of the model to use, by its epoch. Blank or −1 uses the newest one.' },
  image_file: { label: 'Upload Image', help: 'An image file to upload and run through the model. Give either this or an image path.' },
  image_path: { label: 'Image Path', help: `Path of an image on the server to run through the model. ${IN_ROOTS}` },
  image_list: { label: 'Upload Image List', help: 'A text file listing the images to run, one path per line, optionally followed by the numeric label of its class (your val.txt works). Paths must be absolute or relative to the image folder, inside DATA_ROOTS; URLs are not fetched.' },
  image_folder: { label: 'Image Folder (optional)', help: `Relative paths in the image list are read from this folder. ${IN_ROOTS}` },
  num_test_images: { label: 'Images to Use', help: 'Only the first this many lines of the list are used. Leave blank to use all.' },
  top_n: { label: 'Images per Category', help: 'For each class, how many of the listed images with the highest score for it are shown. At least 1, default 9.' },
  show_visualizations: { label: 'Show Visualizations', help: 'For each layer of the network, show statistics of its weights and activations and try to draw them. Can slow the answer down considerably.' },
  dont_resize: { label: 'Do Not Resize', help: 'Skip resizing to the dataset\'s image size and only convert the channels; an image of another size is then refused. Default off.' },
  db_path: { label: 'Database Path', help: `An LMDB folder on the server whose every entry is run through the model. ${IN_ROOTS} Required.` },
};

/** "folder_pct_val" → "Folder Pct Val"; "<job>-snapshot" → "<job> Snapshot". */
function labelOf(name: string): string {
  const words = name.split(/[_\-\s]+/).filter((w) => w !== '');
  return words.length === 0 ? 'Field' : words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

/** The label and help of `name`, or ones derived from the name when none is written, so a new field never breaks a page. */
export function fieldHelp(name: string): FieldHelp {
  if (Object.hasOwn(FIELD_HELP, name)) return FIELD_HELP[name]!;
  return { label: labelOf(name), help: `The form's "${name}" field; no help text is written for it yet.` };
}
